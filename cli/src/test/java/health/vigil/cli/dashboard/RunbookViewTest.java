package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.cli.ClassLoadLog;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.security.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbooks as pages of the dashboard, behind Jetty's in-memory connector: served from the build's resources,
 * inside the dashboard's layout to any signed-in key, linked to each other as on GitHub, and nothing else under their
 * address. Also that the Markdown renderer is loaded only when a runbook is asked for.
 */
class RunbookViewTest {
    private static final String OPERATOR_KEY = "k-operator-0123456789abcdef0123456789";
    private static final String CLINICAL_KEY = "k-clinical-0123456789abcdef0123456789";
    private static final Pattern HREF = Pattern.compile("href=\"([^\"]*)\"");

    @TempDir
    Path home;

    private ConnectedDashboard dashboard;

    @BeforeEach
    void start() throws Exception {
        dashboard = new ConnectedDashboard(home, "{\"keys\": [" + entry("operator", OPERATOR_KEY, "Deployments.Operate")
                + ", " + entry("clinical-app", CLINICAL_KEY, "Scoring.Invoke") + "]}");
    }

    /** A key of keys.json: its persona, key and one role. */
    private static String entry(String id, String key, String role) {
        return "{\"id\": \"" + id + "\", \"name\": \"" + id + "\", \"key\": \"" + key + "\", \"roles\": [\"" + role
                + "\"]}";
    }

    @AfterEach
    void stop() throws Exception {
        dashboard.close();
    }

    @Test
    void theRunbooksServedAreTheFilesOfTheDocsFolderAndTheBuildPutEachInTheJar() throws Exception {
        List<String> files;
        try (Stream<Path> listed = Files.list(Path.of("..", "docs", "runbooks"))) {
            files = listed.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".md"))
                    .map(n -> n.substring(0, n.length() - ".md".length())).sorted().toList();
        }
        assertThat(RunbookView.NAMES).containsExactlyElementsOf(files);
        for (String name : RunbookView.NAMES) {
            byte[] packaged;
            try (var in = RunbookView.class.getResourceAsStream("runbooks/" + name + ".md")) {
                assertThat(in).as("runbook " + name + " among the CLI's resources").isNotNull();
                packaged = in.readAllBytes();
            }
            assertThat(packaged).isEqualTo(Files.readAllBytes(Path.of("..", "docs", "runbooks", name + ".md")));
        }
    }

    @Test
    void aRunbookIsAPageOfTheDashboardForAnySignedInKeyWithItsTitleNavigationAndSignOut() throws Exception {
        for (String key : List.of(OPERATOR_KEY, CLINICAL_KEY)) {
            HttpTester.Response page = get("/dashboard/runbooks/dead-lettered-events", signIn(key));

            assertThat(page.getStatus()).as(page.getContent()).isEqualTo(200);
            assertThat(page.get("Content-Security-Policy")).contains("default-src 'none'");
            String html = page.getContent();
            assertThat(html).contains("<title>Runbook: events in the dead-letter folder \u2013 Vigil</title>",
                    "<main id=\"main\"><h1>Runbook: events in the dead-letter folder</h1>",
                    "<nav aria-label=\"Dashboard\">", "<button type=\"submit\">Sign out</button>", "<ol>")
                    .containsOnlyOnce("<h1");
        }
        // The operator's navigation names the operator's pages, the clinical application's does not.
        assertThat(get("/dashboard/runbooks/alerts", signIn(OPERATOR_KEY)).getContent())
                .contains("href=\"/dashboard/operations\"");
        assertThat(get("/dashboard/runbooks/alerts", signIn(CLINICAL_KEY)).getContent())
                .doesNotContain("href=\"/dashboard/operations\"");

        HttpTester.Response signedOut = get("/dashboard/runbooks/alerts", null);
        assertThat(signedOut.getStatus()).isEqualTo(303);
        assertThat(signedOut.get("Location")).isEqualTo("/login?next=%2Fdashboard%2Frunbooks%2Falerts");
    }

    @Test
    void theRunbooksAreListedByTheirTitlesForAnySignedInKey() throws Exception {
        for (String key : List.of(OPERATOR_KEY, CLINICAL_KEY)) {
            HttpTester.Response page = get("/dashboard/runbooks", signIn(key));

            assertThat(page.getStatus()).as(page.getContent()).isEqualTo(200);
            String html = page.getContent();
            assertThat(html).contains("<main id=\"main\"><h1>Runbooks</h1>",
                    "<a href=\"/dashboard/runbooks/dead-lettered-events\">Runbook: events in the dead-letter"
                            + " folder</a>");
            for (String name : RunbookView.NAMES) {
                assertThat(html).as(name).containsOnlyOnce("<a href=\"/dashboard/runbooks/" + name + "\">");
            }
            assertThat(html).doesNotContain("<article", "# ");
        }
    }

    @Test
    void aNameThatIsNotARunbookIs404InTheDashboardsStyle() throws Exception {
        String session = signIn(OPERATOR_KEY);
        for (String path : List.of("/dashboard/runbooks/no-such-runbook", "/dashboard/runbooks/alerts.md",
                "/dashboard/runbooks/ALERTS", "/dashboard/runbooks/alerts/x")) {
            HttpTester.Response page = get(path, session);

            assertThat(page.getStatus()).as(path).isEqualTo(404);
            assertThat(page.getContent()).as(path).contains("<h1>Not found</h1>", "NOT_FOUND", "Sign out",
                    path.endsWith("/x") ? "the dashboard has no such page"
                            : "the dashboard has no such runbook; its runbooks are alerts, audit-export,")
                    .doesNotContain("<article");
        }
    }

    /**
     * A name is one of the fixed list or nothing: a name that climbs out of the runbooks, as it is or encoded, reaches
     * no file, whether the server resolves it first (a dot-dot segment is resolved as a browser resolves it, an encoded
     * one refused) or the name comes to the page as it is.
     */
    @Test
    void noNameReachesAFileOutsideTheRunbooks() throws Exception {
        String session = signIn(OPERATOR_KEY);
        Map<String, Integer> answers = new java.util.LinkedHashMap<>();
        for (String path : List.of("/dashboard/runbooks/%2e%2e", "/dashboard/runbooks/..%2Fkeys.json",
                "/dashboard/runbooks/%2E%2E%2F%2E%2E%2Fkeys.json", "/dashboard/runbooks/..%5Ckeys.json",
                "/dashboard/runbooks/alerts%00", "/dashboard/runbooks/../../keys.json", "/dashboard/runbooks/..")) {
            HttpTester.Response page = get(path, session);
            assertThat(page.getContent()).as(path).doesNotContain(OPERATOR_KEY, "# Runbook", "<article");
            answers.put(path, page.getStatus());
        }
        // The dashboard's own pages are all it is asked for: /dashboard/runbooks/.. is /dashboard/, the overview, and
        // /keys.json is not the dashboard's (nothing else is served here).
        assertThat(answers).containsExactly(Map.entry("/dashboard/runbooks/%2e%2e", 400),
                Map.entry("/dashboard/runbooks/..%2Fkeys.json", 400),
                Map.entry("/dashboard/runbooks/%2E%2E%2F%2E%2E%2Fkeys.json", 400),
                Map.entry("/dashboard/runbooks/..%5Ckeys.json", 400), Map.entry("/dashboard/runbooks/alerts%00", 400),
                Map.entry("/dashboard/runbooks/../../keys.json", 404), Map.entry("/dashboard/runbooks/..", 200));
        for (String name : List.of("..", "../keys.json", "..%2Fkeys.json", "../../cli/pom.xml", "alerts.md",
                "./alerts", "alerts\u0000", "/etc/passwd", "runbooks/alerts")) {
            assertThatThrownBy(() -> new RunbookView().render(new PageRequest(Principal.SYSTEM, Map.of("name", name),
                    Map.of()))).as(name).isInstanceOfSatisfying(VigilException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        }
    }

    /**
     * Every link of every runbook: to another runbook's page on the dashboard, to a heading of a page that has it, or
     * to a page on the web; nothing points at a Markdown file or at a document the dashboard does not serve.
     */
    @Test
    void linksBetweenRunbooksGoToTheirPagesAndHeadingsAndNoLinkLeadsNowhere() throws Exception {
        String session = signIn(OPERATOR_KEY);
        Map<String, String> pages = new java.util.HashMap<>();
        for (String name : RunbookView.NAMES) {
            HttpTester.Response page = get(RunbookView.href(name), session);
            assertThat(page.getStatus()).as(name).isEqualTo(200);
            pages.put(RunbookView.href(name), page.getContent());
        }
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, String> page : pages.entrySet()) {
            String article = page.getValue().substring(page.getValue().indexOf("<article"),
                    page.getValue().indexOf("</article>"));
            Matcher href = HREF.matcher(article);
            while (href.find()) {
                String target = href.group(1);
                checked.add(target);
                assertThat(target).as(page.getKey()).doesNotContain(".md").doesNotStartWith("..");
                if (target.startsWith("https://")) {
                    continue;
                }
                int hash = target.indexOf('#');
                String path = hash < 0 ? target : target.substring(0, hash);
                String on = path.isEmpty() ? page.getValue() : pages.get(path);
                assertThat(on).as(page.getKey() + " links to " + target).isNotNull();
                if (hash >= 0) {
                    assertThat(on).as(page.getKey() + " links to " + target)
                            .contains(" id=\"" + target.substring(hash + 1) + "\"");
                }
            }
        }
        assertThat(checked).contains("/dashboard/runbooks/alerts#background-function-failures",
                "/dashboard/runbooks/failed-verification", "#a-window-the-timer-abandoned");
        // A link to a document outside the runbooks reads as its text.
        assertThat(pages.get("/dashboard/runbooks/rollback")).contains("canary-analysis.md");
    }

    @Test
    void rawHtmlInARunbookIsShownAsTextAndOnlyRunbookAndWebLinksStayLinks() {
        View.Rendered page = RunbookHtml.render("""
                # A <em>title</em>

                <script>alert(1)</script>

                Text <img src=x onerror=alert(2)> and <a href="https://elsewhere.example">a raw link</a>.

                See [the API](../api.md#scoring), [rollback](rollback.md), [a note](notes.md),
                [a script](javascript:alert(3)), [a heading](#here) and [the web](https://example.org/page).
                ![a chart of the drift](drift.png)

                ## Here

                | a | b |
                |---|---|
                | 1 | 2 |
                """, "fallback");

        assertThat(page.title()).isEqualTo("A <em>title</em>");
        assertThat(page.body()).doesNotContain("<script", "<img", "<em>", "<a href=\"https://elsewhere")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;")
                .contains("See the API, <a href=\"/dashboard/runbooks/rollback\">rollback</a>, a note,")
                .contains("a script, <a href=\"#here\">a heading</a> and <a href=\"https://example.org/page\">the"
                        + " web</a>.")
                .contains("a chart of the drift").doesNotContain("javascript:", "drift.png", "notes.md", "api.md")
                .contains("<h2 id=\"here\">Here</h2>", "<table>", "<td>1</td>");
    }

    /** Starting the dashboard loads neither the runbooks' renderer nor the Markdown library; asking for a page does. */
    @Test
    void theMarkdownRendererIsLoadedOnlyWhenARunbookIsAskedFor() throws Exception {
        String started = ClassLoadLog.of(List.of(), LoadRunbook.class, "start");
        assertThat(started).contains(Dashboard.class.getName() + " ", RunbookView.class.getName() + " ")
                .doesNotContain(RunbookHtml.class.getName() + " ").doesNotContain("org.commonmark.");

        String asked = ClassLoadLog.of(List.of(), LoadRunbook.class, "render");
        assertThat(asked).contains(RunbookHtml.class.getName() + " ", "org.commonmark.parser.Parser ");
    }

    /** Builds the dashboard as {@code vigil up} does; with "render", draws a runbook's page too. */
    public static final class LoadRunbook {
        public static void main(String[] args) {
            new Dashboard(() -> null, Path.of("deadletter"), Clock.systemUTC());
            if (args[0].equals("render")) {
                View runbooks = Dashboard.views(() -> null, Path.of("deadletter"), null, List::of).stream()
                        .filter(v -> v instanceof RunbookView).findFirst().orElseThrow();
                runbooks.render(new PageRequest(Principal.SYSTEM, Map.of("name", "alerts"), Map.of()));
            }
        }
    }

    /** Signs in with {@code key}; the session cookie, {@code name=value}. */
    private String signIn(String key) throws Exception {
        String form = "key=" + key;
        HttpTester.Response response = HttpTester.parseResponse(dashboard.connector().getResponse("POST /login"
                + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                + form.length() + "\r\nConnection: close\r\n\r\n" + form));
        assertThat(response.getStatus()).as(response.getContent()).isEqualTo(303);
        return response.get("Set-Cookie").split(";")[0];
    }

    /** A page read with the session cookie {@code session} ({@code name=value}, or null for none). */
    private HttpTester.Response get(String target, String session) throws Exception {
        return HttpTester.parseResponse(dashboard.connector().getResponse("GET " + target
                + " HTTP/1.1\r\nHost: localhost\r\n" + (session == null ? "" : "Cookie: " + session + "\r\n")
                + "Connection: close\r\n\r\n"));
    }
}
