package io.admission.server.http;

import com.google.protobuf.Message;
import com.google.rpc.Code;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.admission.server.auth.Access;
import io.admission.server.auth.AccessControl;
import io.admission.server.auth.Caller;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import io.admission.server.api.ClusterView;
import io.admission.server.api.Failures;
import io.admission.server.api.IdLengths;
import io.admission.server.api.InvalidRequest;
import io.admission.server.api.Requests;
import io.admission.server.api.Responses;
import io.admission.server.api.Statuses;
import io.admission.server.http.proto.Me;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.DeleteOrgResponse;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusResponse;
import io.admission.v1.ListOrgsResponse;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RemoveAgentResponse;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.SetReservationResponse;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.UpdateOrgResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operators' web page, served by the server itself ({@code --http HOST:PORT}) with the JDK's
 * {@code com.sun.net.httpserver}: the Concurrency page and the Compliance Monitor of one org at a
 * time, live.
 *
 * <pre>
 * GET  /                                      the page (one HTML file: markup, CSS, script)
 * GET  /api/me                                admission.web.v1.Me: whom the page speaks for, what it may show
 * GET  /api/cluster                           GetClusterStatusResponse: the nodes, which leads, who answered
 * GET  /api/orgs                              ListOrgsResponse, the orgs the caller may read, for the picker
 * GET  /api/orgs/{org}/status                 GetOrgStatusResponse, once
 * GET  /api/orgs/{org}/settings               GetOrgResponse: the org's settings, for the edit form
 * GET  /api/orgs/{org}/events                 server-sent events: one WatchOrgResponse per data line
 * POST /api/orgs/{org}/reservations           body: SetReservationRequest → SetReservationResponse
 * POST /api/orgs/{org}/agents/{agent}/remove  body: RemoveAgentRequest (may be {}) → RemoveAgentResponse
 * POST /api/orgs/{org}/update                 body: UpdateOrgRequest → UpdateOrgResponse
 * POST /api/orgs/{org}/delete                 body: DeleteOrgRequest (may be {}) → DeleteOrgResponse
 * </pre>
 *
 * A body's ids may be left empty: the URL gives them (a body that names others is refused).
 * Bodies are the gRPC API's own messages in the proto JSON mapping as {@code JsonFormat} prints
 * and parses them ({@link Json}: lowerCamelCase names, enum names, defaults left out), the same
 * JSON that {@code buf curl} and the CLI show. Every request goes through the loop exactly as its
 * gRPC twin does — the same validation ({@link Requests}), the same engine answers — and a refusal
 * is the {@code google.rpc.Status} the gRPC call would have ended with (numeric {@code code},
 * {@code message}, the same {@code details}), with an HTTP status (400, 401, 403, 404, 409, 503).
 *
 * <p>Threads: a fixed pool of HTTP threads, which may wait for the loop's answer (the loop never
 * waits for them). Each open event stream holds one of them; at most {@link #MAX_STREAMS} are
 * open at once, so ordinary requests always find a thread.
 *
 * <p>Access control is the gRPC API's ({@link AccessControl}, the same roles and the same
 * answers): with {@code --auth}, every {@code /api/} request needs {@code Authorization: Bearer
 * <token>} — or, for the event stream, which a browser's EventSource opens without headers, the
 * query parameter {@code access_token=<token>} (RFC 6750). Reads of an org need a role that may
 * monitor it, changes need admin, the cluster's status any token (as GetClusterStatus); 401 UNAUTHENTICATED and 403 PERMISSION_DENIED otherwise. The page
 * itself holds no data and is served to anyone; it asks for the token. Besides, a request whose
 * Host header is neither an IP literal, {@code localhost} nor the host it was started with is
 * refused (a DNS-rebinding page cannot use it), and a change must be a JSON POST (which a foreign
 * page cannot send without a CORS preflight this server never grants).
 */
public final class WebServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WebServer.class.getName());
  static final int MAX_STREAMS = 32;
  private static final int SPARE_THREADS = 8;
  private static final int MAX_ORGS_LISTED = 10_000;
  private static final int ORG_PAGE = 1000;
  private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(15);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final String PAGE_RESOURCE = "monitor.html";

  /** Each org's requests go to its group's loop. */
  private final Loops loops;
  private final ClusterView cluster;
  private final HttpServer server;
  private final ExecutorService threads;
  private final String boundHost;
  private final Page page;
  private final Semaphore streamSlots = new Semaphore(MAX_STREAMS);
  private final Set<OrgEventStream> streams = ConcurrentHashMap.newKeySet();
  private final AccessControl access;
  private final String scheme;
  private final int maxBodyBytes;
  private final IdLengths ids;

  /** HTTPS: the server's context and whether a client must present a certificate. */
  public record Tls(SSLContext context, boolean clientCertificates) {}

  /**
   * The server's bounds on requests, as gRPC applies them: a body larger than {@code
   * maxMessageBytes} is 413 RESOURCE_EXHAUSTED, an id (in the path or the body) longer than
   * {@code maxIdBytes} 400 INVALID_ARGUMENT, each naming its flag.
   */
  public record Bounds(int maxMessageBytes, int maxIdBytes) {
    /** The server's defaults: a body of 1 MiB, ids of the API's 128 bytes. */
    public static final Bounds DEFAULT = new Bounds(1 << 20, IdLengths.API_MAX_BYTES);
  }

  private WebServer(Loops loops, ClusterView cluster, HttpServer server, ExecutorService threads, String boundHost,
      Page page, AccessControl access, String scheme, Bounds bounds) {
    this.loops = loops;
    this.cluster = cluster;
    this.server = server;
    this.threads = threads;
    this.boundHost = boundHost;
    this.page = page;
    this.access = access;
    this.scheme = scheme;
    this.maxBodyBytes = bounds.maxMessageBytes();
    this.ids = new IdLengths(bounds.maxIdBytes());
  }

  /**
   * Binds {@code address} (port 0 picks a free one) and starts serving, to anyone, over HTTP, as
   * a server that runs alone.
   */
  public static WebServer start(InetSocketAddress address, EventLoop loop) throws IOException {
    return start(address, loop, ClusterView.alone("local", address.getHostString() + ":" + address.getPort()), AccessControl.off(), null);
  }

  /**
   * The same as a node of {@code cluster} (or alone: {@link ClusterView#alone}), checking callers
   * with {@code access}, over HTTPS unless {@code tls} is null.
   */
  public static WebServer start(InetSocketAddress address, EventLoop loop, ClusterView cluster,
      AccessControl access, Tls tls) throws IOException {
    return start(address, Loops.of(loop), cluster, access, tls, Bounds.DEFAULT);
  }

  /**
   * The same with orgs spread over several groups' loops ({@code --groups}), refusing requests
   * over {@code bounds}.
   */
  public static WebServer start(InetSocketAddress address, Loops loops, ClusterView cluster,
      AccessControl access, Tls tls, Bounds bounds) throws IOException {
    Page page = Page.load();
    HttpServer server = tls == null ? HttpServer.create(address, 0) : https(address, tls);
    AtomicInteger n = new AtomicInteger();
    int size = MAX_STREAMS + SPARE_THREADS;
    ExecutorService threads = new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "admission-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    server.setExecutor(threads);
    WebServer web = new WebServer(loops, cluster, server, threads, address.getHostString(), page, access,
        tls == null ? "http" : "https", bounds);
    server.createContext("/", web::handle);
    server.start();
    return web;
  }

  private static HttpsServer https(InetSocketAddress address, Tls tls) throws IOException {
    HttpsServer server = HttpsServer.create(address, 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls.context()) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
        ssl.setNeedClientAuth(tls.clientCertificates());
        params.setSSLParameters(ssl);
      }
    });
    return server;
  }

  /** The bound address, with the real port when 0 was asked for. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Ends every event stream (each gets a last "problem" event), then stops serving. */
  @Override
  public void close() {
    for (OrgEventStream s : streams) {
      s.stop("the web server is stopping");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (!streams.isEmpty() && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // each writes its last event
    }
    server.stop(0);
    threads.shutdownNow();
  }

  // ---- Routing ----------------------------------------------------------------------------

  private void handle(HttpExchange ex) {
    try {
      if (!hostAllowed(ex.getRequestHeaders().getFirst("Host"))) {
        sendError(ex, 403, Code.PERMISSION_DENIED,
            "this server answers only requests addressed to its IP, localhost or " + boundHost);
        return;
      }
      List<String> path = segments(ex.getRequestURI().getRawPath());
      if (path.isEmpty() || !path.get(0).equals("api")) {
        route(ex, path, null); // the page: it holds no data, and asks for the token
        return;
      }
      Caller caller = access.caller(authorization(ex), certificateSubject(ex));
      if (caller == null) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        sendError(ex, 401, Code.UNAUTHENTICATED, AccessControl.UNAUTHENTICATED);
        return;
      }
      route(ex, path, caller);
    } catch (InvalidRequest e) {
      quietly(() -> sendJson(ex, 400, Json.print(Statuses.invalid(e))));
    } catch (TooLarge e) {
      quietly(() -> sendJson(ex, 413, Json.print(Statuses.tooLarge(maxBodyBytes))));
    } catch (LoopCall.Unavailable e) {
      quietly(() -> sendError(ex, e.bug ? 500 : 503, e.bug ? Code.INTERNAL : Code.UNAVAILABLE, e.getMessage()));
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "web client went away", e);
    } catch (RuntimeException e) {
      // The path names no token; the client gets only the id of the log line.
      String sentence = Failures.internal("web request " + ex.getRequestURI().getRawPath(), e);
      quietly(() -> sendError(ex, 500, Code.INTERNAL, sentence));
    } finally {
      ex.close();
    }
  }

  private void route(HttpExchange ex, List<String> path, Caller caller)
      throws IOException, InvalidRequest, TooLarge, LoopCall.Unavailable {
    int n = path.size();
    if (n == 0 || (n == 1 && path.get(0).equals("index.html"))) {
      if (allow(ex, "GET")) {
        sendPage(ex);
      }
      return;
    }
    if (caller != null && n == 2 && path.get(1).equals("me")) {
      if (allow(ex, "GET")) {
        sendJson(ex, 200, Json.print(Me.newBuilder().setAuth(access.enabled())
            .setRole(caller.role().toString()).setActor(caller.actor()).build()));
      }
      return;
    }
    if (caller != null && n == 2 && path.get(1).equals("cluster")) {
      if (!Access.CLUSTER.allows(caller.role(), "")) {
        sendError(ex, 403, Code.PERMISSION_DENIED, AccessControl.PERMISSION_DENIED);
      } else if (allow(ex, "GET")) {
        // No loop hand-off: the replica's view, as GetClusterStatus answers it, even without a
        // quorum (that is when an operator needs it most).
        sendJson(ex, 200, Json.print(cluster.status()));
      }
      return;
    }
    if (caller == null || n < 2 || !path.get(1).equals("orgs")) {
      notFound(ex);
      return;
    }
    if (n == 2) {
      if (allow(ex, "GET")) {
        listOrgs(ex, caller);
      }
      return;
    }
    String orgId = id("org_id", path.get(2));
    List<String> rest = path.subList(3, n);
    boolean removeAgent = rest.size() == 3 && rest.get(0).equals("agents") && rest.get(2).equals("remove");
    String action = rest.size() == 1 ? rest.get(0) : removeAgent ? "remove" : "";
    Access asked = switch (action) {
      case "status", "events" -> Access.MONITOR;
      case "settings" -> Access.READ_ORG;
      default -> Access.ADMIN;
    };
    if (!asked.allows(caller.role(), orgId)) {
      sendError(ex, 403, Code.PERMISSION_DENIED, AccessControl.PERMISSION_DENIED);
      return;
    }
    String actor = caller.actor();
    switch (action) {
      case "status" -> {
        if (allow(ex, "GET")) {
          status(ex, orgId);
        }
      }
      case "events" -> {
        if (allow(ex, "GET")) {
          events(ex, orgId);
        }
      }
      case "reservations" -> {
        if (allow(ex, "POST") && jsonPost(ex)) {
          setReservation(ex, orgId, actor);
        }
      }
      case "remove" -> {
        if (allow(ex, "POST") && jsonPost(ex)) {
          removeAgent(ex, orgId, id("agent_id", rest.get(1)), actor);
        }
      }
      case "settings" -> {
        if (allow(ex, "GET")) {
          settings(ex, orgId);
        }
      }
      case "update" -> {
        if (allow(ex, "POST") && jsonPost(ex)) {
          updateOrg(ex, orgId, actor);
        }
      }
      case "delete" -> {
        if (allow(ex, "POST") && jsonPost(ex)) {
          deleteOrg(ex, orgId, actor);
        }
      }
      default -> notFound(ex);
    }
  }

  private static void notFound(HttpExchange ex) throws IOException {
    sendError(ex, 404, Code.NOT_FOUND, "no such resource: " + ex.getRequestURI().getRawPath());
  }

  // ---- Handlers ---------------------------------------------------------------------------

  private void sendPage(HttpExchange ex) throws IOException {
    Headers h = ex.getResponseHeaders();
    h.set("Content-Security-Policy", page.contentSecurityPolicy);
    h.set("Referrer-Policy", "no-referrer");
    send(ex, 200, "text/html; charset=utf-8", page.html);
  }

  /** The orgs {@code caller} may read: all for admin and monitor:*, its own org otherwise. */
  private void listOrgs(HttpExchange ex, Caller caller) throws IOException, LoopCall.Unavailable {
    ListOrgsResponse.Builder b = ListOrgsResponse.newBuilder();
    String after = "";
    do {
      String from = after;
      Results.AdminResult result = LoopCall.listOrgs(loops, from, ORG_PAGE);
      Results.OrgPage page = (Results.OrgPage) result;
      page.orgs().stream().filter(o -> Access.MONITOR.allows(caller.role(), o.orgId()))
          .forEach(o -> b.addOrgs(Responses.org(o)));
      after = page.nextPageToken();
    } while (!after.isEmpty() && b.getOrgsCount() < MAX_ORGS_LISTED);
    sendJson(ex, 200, Json.print(b.build()));
  }

  private void status(HttpExchange ex, String orgId) throws IOException, LoopCall.Unavailable {
    Results.StatusResult result = LoopCall.read(loops.of(orgId), (engine, now) -> engine.status(orgId, now));
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    sendJson(ex, 200, Json.print(GetOrgStatusResponse.newBuilder()
        .setStatus(Responses.status((StatusView.Org) result)).build()));
  }

  /** Holds this HTTP thread for as long as the browser keeps the stream open. */
  private void events(HttpExchange ex, String orgId) throws IOException {
    if (!streamSlots.tryAcquire()) {
      sendError(ex, 503, Code.UNAVAILABLE, "too many open event streams (at most " + MAX_STREAMS
          + "); close another page and retry");
      return;
    }
    try {
      OrgEventStream stream = new OrgEventStream(Thread.currentThread());
      EventLoop loop = loops.of(orgId);
      if (!loop.watchOrg(orgId, stream)) {
        sendError(ex, 503, Code.UNAVAILABLE,
            "server busy: too many requests waiting for the admission loop; retry shortly");
        return;
      }
      streams.add(stream);
      try {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-store");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        stream.pump(out, HEARTBEAT_NANOS);
        out.close();
      } finally {
        streams.remove(stream);
        loop.unwatchOrg(orgId, stream);
      }
    } finally {
      streamSlots.release();
    }
  }

  private void setReservation(HttpExchange ex, String orgId, String actor)
      throws IOException, InvalidRequest, TooLarge, LoopCall.Unavailable {
    SetReservationRequest.Builder request = body(ex, SetReservationRequest.newBuilder());
    request.setOrgId(fromUrl("org_id", request.getOrgId(), orgId));
    Results.AdminResult result =
        LoopCall.command(loops, Requests.setReservation(request.build()), actor);
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    Results.ReservationChanged c = (Results.ReservationChanged) result;
    sendJson(ex, 200, Json.print(SetReservationResponse.newBuilder()
        .setReservation(Responses.reservation(c.reservation()))
        .setReservedTotal(c.reservedTotal())
        .setSharedCapacity(c.sharedCapacity())
        .build()));
  }

  private void removeAgent(HttpExchange ex, String orgId, String agentId, String actor)
      throws IOException, InvalidRequest, TooLarge, LoopCall.Unavailable {
    RemoveAgentRequest.Builder request = body(ex, RemoveAgentRequest.newBuilder());
    request.setOrgId(fromUrl("org_id", request.getOrgId(), orgId))
        .setAgentId(fromUrl("agent_id", request.getAgentId(), agentId));
    Results.AdminResult result = LoopCall.command(loops,
        Requests.removeAgent(request.getOrgId(), request.getAgentId()), actor);
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    Results.AgentRemoved removed = (Results.AgentRemoved) result;
    sendJson(ex, 200, Json.print(RemoveAgentResponse.newBuilder()
        .setFreedSlots(removed.freedSlots()).setSharedCapacity(removed.sharedCapacity()).build()));
  }

  private void settings(HttpExchange ex, String orgId) throws IOException, LoopCall.Unavailable {
    Results.AdminResult result = LoopCall.read(loops.of(orgId), (engine, now) -> engine.getOrg(orgId));
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    Results.OrgView v = (Results.OrgView) result;
    GetOrgResponse.Builder b = GetOrgResponse.newBuilder().setOrg(Responses.org(v.config()));
    v.reservations().forEach(r -> b.addReservations(Responses.reservation(r)));
    sendJson(ex, 200, Json.print(b.build()));
  }

  /** The page sends only the fields the operator changed; the loop merges them at apply time. */
  private void updateOrg(HttpExchange ex, String orgId, String actor)
      throws IOException, InvalidRequest, TooLarge, LoopCall.Unavailable {
    UpdateOrgRequest.Builder request = body(ex, UpdateOrgRequest.newBuilder());
    request.getOrgBuilder().setOrgId(fromUrl("org.org_id", request.getOrg().getOrgId(), orgId));
    Results.AdminResult result = LoopCall.command(loops, Requests.updateOrg(request.build()), actor);
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    sendJson(ex, 200, Json.print(UpdateOrgResponse.newBuilder()
        .setOrg(Responses.org(((Results.OrgUpdated) result).after())).build()));
  }

  private void deleteOrg(HttpExchange ex, String orgId, String actor)
      throws IOException, InvalidRequest, TooLarge, LoopCall.Unavailable {
    DeleteOrgRequest.Builder request = body(ex, DeleteOrgRequest.newBuilder());
    request.setOrgId(fromUrl("org_id", request.getOrgId(), orgId));
    Results.AdminResult result = LoopCall.command(loops, Requests.deleteOrg(request.getOrgId()), actor);
    if (result instanceof Rejection r) {
      sendRejection(ex, r);
      return;
    }
    sendJson(ex, 200, Json.print(DeleteOrgResponse.newBuilder()
        .setDeleted(((Results.OrgDeleted) result).existed()).build()));
  }

  // ---- Request checks ---------------------------------------------------------------------

  /**
   * The id a request names in the URL; its body may leave the field empty or repeat the same id,
   * so that the body is the gRPC request as a client would send it.
   */
  private static String fromUrl(String field, String inBody, String inUrl) throws InvalidRequest {
    if (!inBody.isEmpty() && !inBody.equals(inUrl)) {
      throw new InvalidRequest(field, "must be empty or the one in the URL, " + inUrl);
    }
    return inUrl;
  }

  /**
   * The Authorization header, or for a browser's EventSource (which cannot set headers) the
   * {@code access_token} query parameter, as a bearer credential.
   */
  private static String authorization(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header != null) {
      return header;
    }
    String query = ex.getRequestURI().getRawQuery();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith("access_token=")) {
        return "Bearer " + URLDecoder.decode(pair.substring("access_token=".length()), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String certificateSubject(HttpExchange ex) {
    if (!(ex instanceof HttpsExchange https)) {
      return null;
    }
    try {
      Certificate[] chain = https.getSSLSession().getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? x.getSubjectX500Principal().getName() : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** Answers 405 and returns false unless the request uses {@code method}. */
  private static boolean allow(HttpExchange ex, String method) throws IOException {
    if (ex.getRequestMethod().equals(method)) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", method);
    sendError(ex, 405, Code.UNIMPLEMENTED, ex.getRequestMethod() + " is not allowed here; use " + method);
    return false;
  }

  /**
   * A change must come as JSON, and from this server's own page when a browser sends it: a
   * cross-origin page can send neither that content type nor a matching Origin.
   */
  private boolean jsonPost(HttpExchange ex) throws IOException {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      sendError(ex, 415, Code.INVALID_ARGUMENT, "the body must be JSON (Content-Type: application/json)");
      return false;
    }
    String origin = ex.getRequestHeaders().getFirst("Origin");
    String host = ex.getRequestHeaders().getFirst("Host");
    if (origin != null && !origin.equals(scheme + "://" + host)) {
      sendError(ex, 403, Code.PERMISSION_DENIED, "changes are accepted only from this server's own page");
      return false;
    }
    return true;
  }

  /** An IP literal, localhost, or the host the server was started with; no other DNS name. */
  private boolean hostAllowed(String hostHeader) {
    if (hostHeader == null) {
      return true; // not a browser: browsers always send Host
    }
    String host = hostHeader.startsWith("[")
        ? hostHeader.substring(0, hostHeader.indexOf(']') + 1)
        : hostHeader.replaceFirst(":\\d*$", "");
    return host.startsWith("[") || IPV4.matcher(host).matches()
        || host.equalsIgnoreCase("localhost") || host.equalsIgnoreCase(boundHost);
  }

  /** A body over --max-message-bytes: answered 413 RESOURCE_EXHAUSTED naming the flag. */
  private static final class TooLarge extends Exception {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super(null, null, false, false); // an answer, not a bug: no stack trace
    }
  }

  /**
   * The request's body parsed into {@code builder}, refused when it is larger than the server's
   * bound (told by Content-Length before anything is read, else by reading one byte past it) or
   * names an id over the id bound.
   */
  private <B extends Message.Builder> B body(HttpExchange ex, B builder)
      throws IOException, InvalidRequest, TooLarge {
    String length = ex.getRequestHeaders().getFirst("Content-Length");
    if (length != null && length.length() > 0 && length.chars().allMatch(Character::isDigit)
        && (length.length() > 10 || Long.parseLong(length) > maxBodyBytes)) {
      throw new TooLarge();
    }
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(maxBodyBytes + 1);
    }
    if (bytes.length > maxBodyBytes) {
      throw new TooLarge();
    }
    Json.parse(new String(bytes, StandardCharsets.UTF_8), builder);
    if (ids.tighterThanApi()) {
      ids.check("", builder.build());
    }
    return builder;
  }

  /** An id from the path: the API's rules, then the server's bound. */
  private String id(String field, String value) throws InvalidRequest {
    String id = Requests.id(field, value);
    ids.check(field, id);
    return id;
  }

  /** The path's segments, percent-decoded ('+' stays '+': it is a path, not a form). */
  static List<String> segments(String rawPath) throws InvalidRequest {
    String[] parts = rawPath.replaceFirst("^/+", "").split("/", -1);
    if (parts.length == 1 && parts[0].isEmpty()) {
      return List.of();
    }
    try {
      return Arrays.stream(parts)
          .map(p -> URLDecoder.decode(p.replace("+", "%2B"), StandardCharsets.UTF_8))
          .toList();
    } catch (IllegalArgumentException e) {
      throw new InvalidRequest("path", "is not a valid percent-encoded path"); // the decoder's words name it
    }
  }

  // ---- Responses --------------------------------------------------------------------------

  private static void sendRejection(HttpExchange ex, Rejection r) throws IOException {
    int status = switch (r.kind()) {
      case INVALID_ARGUMENT -> 400;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, FAILED_PRECONDITION -> 409;
      case RESOURCE_EXHAUSTED -> 429;
    };
    sendJson(ex, status, Json.print(Statuses.rejected(r)));
  }

  private static void sendError(HttpExchange ex, int status, Code code, String message)
      throws IOException {
    sendJson(ex, status, Json.print(Statuses.of(code, message, null)));
  }

  private static void sendJson(HttpExchange ex, int status, String json) throws IOException {
    send(ex, status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body)
      throws IOException {
    Headers h = ex.getResponseHeaders();
    h.set("Content-Type", contentType);
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private interface IoAction {
    void run() throws IOException;
  }

  /** For error answers after a failure: the client may be gone, and that is fine. */
  private static void quietly(IoAction action) {
    try {
      action.run();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "could not send an error answer", e);
    }
  }

  /**
   * The page and its Content-Security-Policy: its one inline script and one inline style are
   * allowed by their SHA-256, and nothing else runs or loads but requests to this server.
   */
  private record Page(byte[] html, String contentSecurityPolicy) {
    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

    static Page load() throws IOException {
      byte[] html;
      try (InputStream in = WebServer.class.getResourceAsStream(PAGE_RESOURCE)) {
        if (in == null) {
          throw new IOException("the web page resource " + PAGE_RESOURCE + " is missing from the jar");
        }
        html = in.readAllBytes();
      }
      String text = new String(html, StandardCharsets.UTF_8);
      String csp = "default-src 'none'; connect-src 'self'; img-src 'self' data:"
          + "; script-src " + hash(SCRIPT.matcher(text)) + "; style-src " + hash(STYLE.matcher(text))
          + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
      return new Page(html, csp);
    }

    private static String hash(Matcher m) throws IOException {
      if (!m.find()) {
        throw new IOException("the web page resource has no inline " + m.pattern());
      }
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256")
            .digest(m.group(1).getBytes(StandardCharsets.UTF_8));
        return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
  }
}
