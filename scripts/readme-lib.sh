# Sourced by the scripts that run README.md's command blocks as written.

# readme_block MARKER: the ```sh blocks between <!-- MARKER --> and <!-- /MARKER --> in README.md.
readme_block() {
  awk -v start="<!-- $1 -->" -v end="<!-- /$1 -->" '$0 == start {on=1; next} $0 == end {on=0} on' README.md \
    | awk '/^```sh$/{b=1; next} /^```$/{b=0} b'
}

# expect DESCRIPTION PATTERN: fails, showing $out, unless the output in $out matches PATTERN.
# $what names the block in the failure ("README walk-through").
expect() {
  grep -Eq "$2" "$out" || { echo "$what: expected $1 (/$2/); output:"; cat "$out"; exit 1; }
}
