package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.platform.VigilPlatform;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.server.LocalConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session cookie's attributes, on the dashboard itself behind Jetty's in-memory connector: a request whose URL
 * is https (as Jetty makes it for a TLS connection) gets a {@code Secure} cookie, a plain-HTTP one (vigil up on
 * loopback) does not, and both keep HttpOnly and SameSite=Strict. Also what a refusal and the audit page leave in the
 * audit trail, and how a sign-in form that is not UTF-8 is answered.
 */
class DashboardCookieTest {
    private static final String KEY = "k-operator-0123456789abcdef0123456789";
    private static final String COMPLIANCE_KEY = "k-compliance-0123456789abcdef01234567";

    @TempDir
    Path home;

    private ConnectedDashboard dashboard;
    private VigilPlatform platform;
    private LocalConnector connector;

    private static final String OPERATOR_ENTRY = "{\"id\": \"operator\", \"name\": \"Operator\", \"key\": \"" + KEY
            + "\", \"roles\": [\"Deployments.Operate\"]}";
    private static final String COMPLIANCE_ENTRY = "{\"id\": \"compliance\", \"name\": \"Compliance\", \"key\": \""
            + COMPLIANCE_KEY + "\", \"roles\": [\"Audit.Export\"]}";

    @BeforeEach
    void start() throws Exception {
        dashboard = new ConnectedDashboard(home, "{\"keys\": [" + OPERATOR_ENTRY + ", " + COMPLIANCE_ENTRY + "]}");
        platform = dashboard.platform();
        connector = dashboard.connector();
    }

    @AfterEach
    void stop() throws Exception {
        dashboard.close();
    }

    private String cookieOf(String target, String form) throws Exception {
        return cookieOf(target, "", form);
    }

    /**
     * The Set-Cookie of a form posted to {@code target} (a path, or an absolute URL with its scheme), with
     * {@code headers} (whole lines) besides the form's own.
     */
    private String cookieOf(String target, String headers, String form) throws Exception {
        byte[] body = form.getBytes(StandardCharsets.UTF_8);
        HttpTester.Response response = HttpTester.parseResponse(connector.getResponse("POST " + target
                + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Content-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n" + form));
        assertThat(response.getStatus()).as(response.getContent()).isEqualTo(303);
        return response.get("Set-Cookie");
    }

    /** A page read with the session cookie {@code session} ({@code name=value}). */
    private HttpTester.Response get(String target, String session) throws Exception {
        return HttpTester.parseResponse(connector.getResponse("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Cookie: " + session + "\r\nConnection: close\r\n\r\n"));
    }

    @Test
    void overHttpsTheSessionCookieIsSecure() throws Exception {
        String signIn = cookieOf("https://localhost/login", "key=" + KEY);
        assertThat(signIn).startsWith(Dashboard.COOKIE + "=").contains("; HttpOnly", "; SameSite=Strict", "; Secure");
        assertThat(cookieOf("https://localhost/logout", "")).contains("Max-Age=0", "; HttpOnly", "; Secure");
    }

    @Test
    void overPlainHttpTheSessionCookieIsNotSecureOrBrowsersWouldDropIt() throws Exception {
        String signIn = cookieOf("/login", "key=" + KEY);
        assertThat(signIn).startsWith(Dashboard.COOKIE + "=").contains("; HttpOnly", "; SameSite=Strict")
                .doesNotContainIgnoringCase("secure");
        assertThat(cookieOf("/logout", "")).contains("Max-Age=0").doesNotContainIgnoringCase("secure");
    }

    /**
     * The session slides with every request, so each page answered in it gives the cookie its full time again: the
     * browser would otherwise drop it 30 minutes after sign-in, however busy the person was.
     */
    @Test
    void eachPageInASessionRenewsItsCookieWithTheSameTokenAndAttributes() throws Exception {
        String session = cookieOf("/login", "key=" + KEY).split(";")[0];
        HttpTester.Response page = get("/dashboard/models", session);
        assertThat(page.getStatus()).isEqualTo(200);
        assertThat(page.get("Set-Cookie")).startsWith(session + ";")
                .contains("; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=1800")
                .doesNotContainIgnoringCase("secure");

        String secureSession = cookieOf("https://localhost/login", "key=" + KEY).split(";")[0];
        HttpTester.Response securePage = get("https://localhost/dashboard/models", secureSession);
        assertThat(securePage.getStatus()).isEqualTo(200);
        assertThat(securePage.get("Set-Cookie")).startsWith(secureSession + ";")
                .contains("; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=1800", "; Secure");

        // No session, no cookie: a token the dashboard does not know is sent to sign in.
        HttpTester.Response unknown = get("/dashboard/models", Dashboard.COOKIE + "=not-a-session");
        assertThat(unknown.getStatus()).isEqualTo(303);
        assertThat(unknown.get("Set-Cookie")).isNull();
    }

    /**
     * A key taken out of keys.json ends the sessions signed in with it at their next request, as an expired session
     * ends, but saying why: the browser goes to sign in with the reason, its cookie is cleared with the attributes it
     * was set with, and the refusal is audited as before. A form posted in such a session is refused the same way, and
     * neither session comes back when the key does.
     */
    @Test
    void aSessionWhoseKeyWasWithdrawnEndsAndTheBrowserIsAskedToSignInAgain() throws Exception {
        String browsing = cookieOf("/login", "key=" + KEY).split(";")[0];
        String posting = cookieOf("/login", "key=" + KEY).split(";")[0];
        assertThat(get("/dashboard/deployments", browsing).getStatus()).isEqualTo(200);

        Files.writeString(home.resolve("keys.json"), "{\"keys\": [" + COMPLIANCE_ENTRY + "]}");
        awaitKeyAccepted(KEY, false);
        String cleared = Dashboard.COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

        HttpTester.Response page = get("/dashboard/deployments", browsing);
        assertThat(page.getStatus()).as(page.getContent()).isEqualTo(303);
        assertThat(page.get("Location")).isEqualTo("/login?next=%2Fdashboard%2Fdeployments&ended=key-withdrawn");
        assertThat(page.get("Set-Cookie")).isEqualTo(cleared);
        HttpTester.Response signIn = request("GET", page.get("Location"), null, null);
        assertThat(signIn.getStatus()).isEqualTo(200);
        assertThat(signIn.getContent()).contains("Your key was withdrawn or changed, so your session has ended; sign in"
                + " again with a key from keys.json.").contains("value=\"/dashboard/deployments\"");

        HttpTester.Response form = request("POST", "/dashboard/deployments", posting, "slot=canary");
        assertThat(form.getStatus()).as(form.getContent()).isEqualTo(303);
        assertThat(form.get("Location")).isEqualTo("/login?next=%2Fdashboard%2Fdeployments&ended=key-withdrawn");
        assertThat(form.get("Set-Cookie")).isEqualTo(cleared);

        var today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        assertThat(platform.audit().read(today, today)).filteredOn(r -> r.action().equals("access.refused"))
                .extracting(r -> r.actor() + " " + r.subject() + " " + r.details().get("code"))
                .containsExactly("unauthenticated GET /dashboard/deployments UNAUTHENTICATED",
                        "unauthenticated POST /dashboard/deployments UNAUTHENTICATED");

        Files.writeString(home.resolve("keys.json"), "{\"keys\": [" + OPERATOR_ENTRY + ", " + COMPLIANCE_ENTRY + "]}");
        awaitKeyAccepted(KEY, true);
        for (String ended : List.of(browsing, posting)) {
            HttpTester.Response again = get("/dashboard/deployments", ended);
            assertThat(again.getStatus()).isEqualTo(303);
            assertThat(again.get("Location")).isEqualTo("/login?next=%2Fdashboard%2Fdeployments");
            assertThat(again.get("Set-Cookie")).isNull();
        }
    }

    /** Waits, at most ten seconds, until the platform reads keys.json again and {@code key} is accepted or not. */
    private void awaitKeyAccepted(String key, boolean accepted) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (accepts(key) != accepted) {
            assertThat(System.nanoTime() - deadline).as("keys.json read again within ten seconds").isNegative();
            Thread.sleep(50);
        }
    }

    private boolean accepts(String key) {
        try {
            platform.authenticator().authenticate(java.util.Map.of("x-api-key", key));
            return true;
        } catch (health.vigil.error.AccessDeniedException refused) {
            return false;
        }
    }

    /** A request with the session cookie {@code session} ({@code name=value}, or null) and a form (or null). */
    private HttpTester.Response request(String method, String target, String session, String form) throws Exception {
        byte[] body = form == null ? new byte[0] : form.getBytes(StandardCharsets.UTF_8);
        return HttpTester.parseResponse(connector.getResponse(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                + (session == null ? "" : "Cookie: " + session + "\r\n")
                + (form == null ? "" : "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                        + body.length + "\r\n")
                + "Connection: close\r\n\r\n" + (form == null ? "" : form)));
    }

    /** A forwarded header is not taken as the scheme: the host does not trust it. */
    @Test
    void aForwardedProtoHeaderDoesNotMakeTheCookieSecure() throws Exception {
        assertThat(cookieOf("/login", "X-Forwarded-Proto: https\r\n", "key=" + KEY))
                .startsWith(Dashboard.COOKIE + "=").doesNotContainIgnoringCase("secure");
    }

    @Test
    void aRefusedPageOrSignInIsAuditedUnderItsRouteWithoutWhatWasTyped() throws Exception {
        String session = cookieOf("/login", "key=" + KEY).split(";")[0];
        HttpTester.Response forbidden = get("/dashboard/audit?from=MRN-5551234", session);
        assertThat(forbidden.getStatus()).isEqualTo(403);
        byte[] form = "key=MRN-5551234".getBytes(StandardCharsets.UTF_8);
        HttpTester.Response wrongKey = HttpTester.parseResponse(connector.getResponse("POST /login?next=/dashboard/models/"
                + "PAT-SECRET-P HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + form.length + "\r\nConnection: close\r\n\r\nkey=MRN-5551234"));
        assertThat(wrongKey.getStatus()).isEqualTo(401);

        var refusals = platform.audit().read(java.time.LocalDate.now(java.time.ZoneOffset.UTC),
                java.time.LocalDate.now(java.time.ZoneOffset.UTC)).stream()
                .filter(r -> r.action().equals("access.refused")).toList();
        assertThat(refusals).extracting(health.vigil.model.AuditRecord::subject)
                .containsExactly("GET /dashboard/audit", "POST /login");
        assertThat(refusals.toString()).doesNotContain("MRN").doesNotContain("PAT-SECRET");
    }

    /** A form whose bytes are not UTF-8 is the caller's to fix, as a badly encoded query string is: 400, no failure. */
    @Test
    void aSignInFormThatIsNotUtf8Is400AndLogsNoFailure() throws Exception {
        byte[] head = ("POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: 5\r\nConnection: close\r\n\r\nkey=").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer request = ByteBuffer.allocate(head.length + 1).put(head).put((byte) 0xFF).flip();
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger log = Logger.getLogger(Dashboard.class.getName());
        log.addHandler(capture);
        HttpTester.Response response;
        try {
            response = HttpTester.parseResponse(connector.getResponse(request));
        } finally {
            log.removeHandler(capture);
        }

        assertThat(response.getStatus()).as(response.getContent()).isEqualTo(400);
        assertThat(response.getContent()).contains("INVALID_REQUEST").contains("UTF-8");
        assertThat(logged).noneMatch(r -> r.getLevel().intValue() >= Level.SEVERE.intValue());
    }

    @Test
    void theAuditPageWithNothingSignedYetDoesNotRecordTheEvidenceAsBroken() throws Exception {
        String session = cookieOf("/login", "key=" + COMPLIANCE_KEY).split(";")[0];
        HttpTester.Response page = get("/dashboard/audit", session);
        assertThat(page.getStatus()).isEqualTo(200);
        assertThat(page.getContent()).contains("Nothing signed yet");

        var today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        assertThat(platform.audit().read(today, today)).filteredOn(r -> r.action().equals("audit.evidence.verified"))
                .extracting(health.vigil.model.AuditRecord::outcome).containsExactly("nothing-signed");
    }
}
