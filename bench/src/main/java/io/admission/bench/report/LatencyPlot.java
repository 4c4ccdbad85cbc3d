package io.admission.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.imageio.ImageIO;

/**
 * Latency against load as a PNG, drawn with java.awt in headless mode: for each system, p50
 * (solid) and p99 (dashed) request latency against the throughput reached, one point per number
 * of concurrent callers (labelled). Latency is on a log scale.
 */
final class LatencyPlot {
  private static final int W = 960;
  private static final int H = 600;
  private static final int LEFT = 80;
  private static final int RIGHT = 200;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  /** One point of a sweep. */
  record Point(int callers, double pairsPerSecond, double p50, double p99) {}

  private LatencyPlot() {}

  static void write(Map<RunCommand.Target, Properties> sweep, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<RunCommand.Target, List<Point>> series = new java.util.LinkedHashMap<>();
    sweep.forEach((t, p) -> series.put(t, points(p)));
    double maxX = 1;
    double minY = Double.MAX_VALUE;
    double maxY = 0;
    for (List<Point> s : series.values()) {
      for (Point pt : s) {
        maxX = Math.max(maxX, pt.pairsPerSecond());
        minY = Math.min(minY, pt.p50());
        maxY = Math.max(maxY, pt.p99());
      }
    }
    double xMax = niceCeiling(maxX * 1.05);
    double yMin = Math.pow(10, Math.floor(Math.log10(Math.max(minY, 1e-3))));
    double yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(maxY, yMin * 10))));

    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    Axes axes = new Axes(xMax, yMin, yMax);
    axes.draw(g);

    int legendY = TOP + 10;
    for (var e : series.entrySet()) {
      Color color = color(e.getKey());
      List<Point> pts = e.getValue();
      line(g, axes, pts, color, new BasicStroke(2f), true);
      line(g, axes, pts, color, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
          new float[] {7f, 5f}, 0f), false);
      g.setColor(color);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      for (Point pt : pts) {
        g.drawString(Integer.toString(pt.callers()), axes.x(pt.pairsPerSecond()) + 5, axes.y(pt.p99()) - 5);
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.setStroke(new BasicStroke(2f));
      g.drawLine(W - RIGHT + 15, legendY, W - RIGHT + 40, legendY);
      g.drawString(e.getKey().label.replace("`", ""), W - RIGHT + 45, legendY + 4);
      legendY += 20;
    }
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.drawLine(W - RIGHT + 15, legendY + 6, W - RIGHT + 40, legendY + 6);
    g.drawString("p50", W - RIGHT + 45, legendY + 10);
    g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f));
    g.drawLine(W - RIGHT + 15, legendY + 26, W - RIGHT + 40, legendY + 26);
    g.drawString("p99", W - RIGHT + 45, legendY + 30);
    g.drawString("labels: concurrent callers", W - RIGHT + 15, legendY + 52);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString("Request latency against load: Acquire+Release on one connection, loopback, 2 cores", LEFT, 30);
    g.dispose();
    Files.createDirectories(file.toAbsolutePath().getParent());
    ImageIO.write(img, "png", file.toFile());
  }

  static List<Point> points(Properties p) {
    List<Point> pts = new ArrayList<>();
    int steps = Integer.parseInt(p.getProperty("steps", "0"));
    for (int i = 0; i < steps; i++) {
      String k = "step." + i + ".";
      pts.add(new Point(Integer.parseInt(p.getProperty(k + "callers")),
          Double.parseDouble(p.getProperty(k + "pairs_per_s")),
          Double.parseDouble(p.getProperty(k + "p50_ms")),
          Double.parseDouble(p.getProperty(k + "p99_ms"))));
    }
    return pts;
  }

  private static void line(Graphics2D g, Axes a, List<Point> pts, Color c, Stroke stroke, boolean p50) {
    g.setColor(c);
    g.setStroke(stroke);
    for (int i = 0; i < pts.size(); i++) {
      Point pt = pts.get(i);
      int x = a.x(pt.pairsPerSecond());
      int y = a.y(p50 ? pt.p50() : pt.p99());
      if (i > 0) {
        Point prev = pts.get(i - 1);
        g.drawLine(a.x(prev.pairsPerSecond()), a.y(p50 ? prev.p50() : prev.p99()), x, y);
      }
      if (p50) {
        g.fillOval(x - 4, y - 4, 8, 8);
      } else {
        g.fillRect(x - 3, y - 3, 7, 7);
      }
    }
  }

  private static Color color(RunCommand.Target t) {
    return switch (t) {
      case ADMISSION -> new Color(0x1f77b4);
      case SESSION -> new Color(0x2ca02c);
      case NOOP -> new Color(0x7f7f7f);
      case REDIS -> new Color(0xd62728);
      case DURABLE -> new Color(0x9467bd);
    };
  }

  private static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * magnitude >= v) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  /** Linear x (pairs/s), log y (ms). */
  private record Axes(double xMax, double yMin, double yMax) {
    int x(double v) {
      return LEFT + (int) Math.round(v / xMax * (W - LEFT - RIGHT));
    }

    int y(double v) {
      double f = (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin));
      return H - BOTTOM - (int) Math.round(f * (H - TOP - BOTTOM));
    }

    void draw(Graphics2D g) {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i <= 5; i++) {
        double v = xMax * i / 5;
        int px = x(v);
        g.setColor(new Color(0xeeeeee));
        g.drawLine(px, TOP, px, H - BOTTOM);
        g.setColor(Color.DARK_GRAY);
        String label = String.format(Locale.ROOT, "%,.0f", v);
        g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, H - BOTTOM + 16);
      }
      for (double v = yMin; v <= yMax * 1.0001; v *= 10) {
        int py = y(v);
        g.setColor(new Color(0xeeeeee));
        g.drawLine(LEFT, py, W - RIGHT, py);
        g.setColor(Color.DARK_GRAY);
        String label = v >= 1 ? String.format(Locale.ROOT, "%.0f ms", v) : String.format(Locale.ROOT, "%s ms", trim(v));
        g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), py + 4);
      }
      g.setColor(Color.BLACK);
      g.drawLine(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
      g.drawLine(LEFT, TOP, LEFT, H - BOTTOM);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      String xl = "throughput (Acquire+Release pairs per second)";
      g.drawString(xl, LEFT + (W - LEFT - RIGHT - g.getFontMetrics().stringWidth(xl)) / 2, H - 20);
      g.rotate(-Math.PI / 2);
      g.drawString("request latency (log scale)", -(TOP + (H - TOP - BOTTOM) / 2) - 70, 20);
      g.rotate(Math.PI / 2);
    }

    private static String trim(double v) {
      return new java.math.BigDecimal(v).round(new java.math.MathContext(1)).stripTrailingZeros().toPlainString();
    }
  }
}
