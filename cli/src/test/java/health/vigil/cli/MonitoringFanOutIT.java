package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.monitoring.MonitoringService;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A monitoring window over four hours of the local log, checked with {@code POST /models/{name}/monitoring/run} on
 * two local platforms over real HTTP that logged the same patients and outcomes: one checks every window in one
 * invocation, the other (the default) fans a window of more than two hours out over the host's
 * {@code monitoring-partitions} queue, where {@code DriftCheckPartition} summarises each hour and the last one merges.
 * The two answer the same report.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoringFanOutIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private final Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(6));
    private final Instant end = start.plus(Duration.ofHours(4));
    private final List<Site> sites = new ArrayList<>();

    private static final class Site {
        final MutableClock clock;
        final Path home;
        LocalPlatform platform;

        Site(Path home, Instant at) {
            this.home = home;
            this.clock = new MutableClock(at);
        }
    }

    @BeforeAll
    void start() throws Exception {
        Path zip = Files.createTempFile("trees", ".zip");
        Files.write(zip, SampleModels.readmissionTrees().zip());
        try {
            sites.add(site(zip, 1_000)); // every window in one invocation
            sites.add(site(zip, health.vigil.platform.VigilPlatform.DEFAULT_MONITORING_FAN_OUT_ABOVE));
        } finally {
            Files.delete(zip);
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (Site site : sites) {
            GovernedPath.stopAndDelete(site.platform, site.home);
        }
    }

    @Test
    void aWindowFannedOutOverTheQueueAnswersTheReportOfTheCheckInOneInvocation() throws Exception {
        Site single = sites.get(0);
        Site fanned = sites.get(1);
        String window = "?from=" + start + "&to=" + end;

        HttpResponse<String> one = post(single, "/models/" + MODEL + "/monitoring/run" + window, "");
        HttpResponse<String> merged = post(fanned, "/models/" + MODEL + "/monitoring/run" + window, "");

        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        assertThat(merged.statusCode()).as(merged.body()).isEqualTo(200);
        JsonNode expected = json(one.body()).get("reports");
        JsonNode actual = json(merged.body()).get("reports");
        assertThat(actual).isEqualTo(expected);
        JsonNode report = actual.get(0);
        assertThat(report.get("predictions").asLong()).isEqualTo(4 * 200);
        assertThat(report.get("drift").get("drifted").asBoolean()).isTrue();
        assertThat(report.get("performance").get("labelled").asLong()).isEqualTo(4 * 100);
        assertThat(report.get("segments").findValuesAsText("column")).contains("age", "admission_type");
        // The fanned-out platform summarised the four hours one queued invocation each, in files only its owner reads.
        String id = report.get("id").asText();
        assertThat(fanned.platform.platform().artifacts().list(ArtifactStore.MONITORING, "partials/" + id + "/"))
                .hasSize(4);
        assertThat(single.platform.platform().artifacts().list(ArtifactStore.MONITORING, "partials/")).isEmpty();
        try (Stream<Path> files = Files.walk(fanned.home)) {
            List<Path> partials = files.filter(p -> p.toString().contains("partials/" + id + "/") && Files.isRegularFile(p)).toList();
            assertThat(partials).hasSize(4).allSatisfy(p -> assertThat(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(p))).isEqualTo("rw-------"));
        }
        // A message is removed once its invocation returns, which may be just after the last one answered the check.
        assertThat(queuedWithin(fanned.home.resolve("queues").resolve("monitoring-partitions"), Duration.ofSeconds(30)))
                .as("every partition message was handled").isEmpty();
        // Served from storage like any report, and audited once.
        HttpResponse<String> listed = get(fanned, "/models/" + MODEL + "/monitoring?from=" + start + "&to="
                + start.plusSeconds(1));
        assertThat(json(listed.body()).get("reports")).isEqualTo(expected);
        assertThat(fanned.platform.platform().audit().read(start.atZone(java.time.ZoneOffset.UTC).toLocalDate(),
                end.atZone(java.time.ZoneOffset.UTC).toLocalDate().plusDays(1)).stream()
                .filter(a -> a.action().equals(MonitoringService.CHECK_ACTION) && id.equals(a.details().get("reportId"))))
                .hasSize(1);
    }

    @Test
    void vigilMonitorRunShowsTheReportOfAFannedOutWindow() throws Exception {
        Site fanned = sites.get(1);
        Instant from = start.plus(Duration.ofHours(1));

        String printed = AuditCommandTest.run("monitor", "run", MODEL, "--url", fanned.platform.baseUri().toString(),
                "--home", fanned.home.toString(), "--from", from.toString(), "--to", end.toString());

        assertThat(printed).startsWith("0\n").contains(" 600 predictions, 50.0 % labelled").doesNotContain("pending");
        String id = printed.lines().filter(l -> l.startsWith("report " + MODEL + "/v")).findFirst().orElseThrow()
                .split(" ")[1].replace(":", "");
        assertThat(id).contains("/stable/").endsWith("--" + MonitoringFanOutIT.compact(end));
        // Three hours: three partitions, each summarised by its own queued invocation.
        assertThat(fanned.platform.platform().artifacts().list(ArtifactStore.MONITORING, "partials/" + id + "/"))
                .hasSize(3);
    }

    /**
     * A local platform with the readmission model deployed, and four hours of predictions over HTTP (the last two
     * hours from an older, sicker population) with outcomes for half of each hour.
     */
    private Site site(Path zip, int fanOutAbove) throws Exception {
        Site site = new Site(Files.createTempDirectory("vigil-monitoring-fanout-it-"), start.minus(Duration.ofHours(1)));
        site.platform = LocalPlatform.start(VigilConfig.local(site.home), 0,
                b -> b.clock(site.clock).monitoringFanOutAbove(fanOutAbove));
        GovernedPath.deployReadmission(site.platform, site.home, zip, "readmission.zip");
        for (int h = 0; h < 4; h++) {
            site.clock.set(start.plus(Duration.ofMinutes(60L * h + 11)));
            SyntheticCohort cohort = SampleModels.readmissionCohort(200, 300 + h);
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < cohort.rows(); i++) {
                Map<String, Object> features = new LinkedHashMap<>();
                cohort.records().get(i).forEach((k, v) -> {
                    if (v != null) {
                        features.put(k, v);
                    }
                });
                if (h >= 2) {
                    features.put("age", Math.min(110, ((Number) features.get("age")).longValue() + 20));
                    features.put("hba1c", Math.min(20, ((Number) features.get("hba1c")).doubleValue() + 3));
                }
                records.add(Map.of("patientId", "MRN-" + h + "-" + i, "features", features));
            }
            HttpResponse<String> scored = post(site, "/score/" + MODEL, "clinical-app",
                    Json.write(Map.of("records", records)));
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            List<Map<String, Object>> outcomes = new ArrayList<>();
            JsonNode predictions = json(scored.body()).get("predictions");
            for (int i = 0; i < 100; i++) {
                outcomes.add(Map.of("predictionId", predictions.get(i).get("predictionId").asText(),
                        "outcome", i % 3 == 0 ? 1 : 0));
            }
            HttpResponse<String> recorded = post(site, "/outcomes", "outcomes-feed",
                    Json.write(Map.of("model", MODEL, "outcomes", outcomes)));
            assertThat(recorded.statusCode()).as(recorded.body()).isEqualTo(200);
        }
        site.clock.set(end.plus(Duration.ofMinutes(5)));
        return site;
    }

    private static HttpResponse<String> post(Site site, String path, String body) throws Exception {
        return post(site, path, "operator", body);
    }

    private static HttpResponse<String> post(Site site, String path, String persona, String body) throws Exception {
        return BlockingHttp.send(HttpRequest.newBuilder(site.platform.baseUri().resolve(URI.create(path)))
                .timeout(Duration.ofSeconds(180)).header("x-api-key", LocalAdapters.apiKey(site.home, persona))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> get(Site site, String path) throws Exception {
        return BlockingHttp.send(HttpRequest.newBuilder(site.platform.baseUri().resolve(URI.create(path)))
                .timeout(Duration.ofSeconds(30)).header("x-api-key", LocalAdapters.apiKey(site.home, "operator"))
                .GET().build());
    }

    /** An instant as a report id writes it. */
    private static String compact(Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(t);
    }

    private static JsonNode json(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }

    /** The messages still in a local queue's folder once it is empty or the time is up. */
    private static List<Path> queuedWithin(Path queue, Duration time) throws Exception {
        Instant deadline = Instant.now().plus(time);
        while (true) {
            List<Path> waiting;
            try (Stream<Path> files = Files.list(queue)) {
                waiting = files.toList();
            }
            if (waiting.isEmpty() || Instant.now().isAfter(deadline)) {
                return waiting;
            }
            Thread.sleep(50);
        }
    }
}
