package health.vigil.port;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.Slot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in {@code infra/bicep/modules/observability.bicep} watch what the code records: each log alert's
 * query passes the same check as the workbooks, the metric alerts use Azure's own platform metrics, the module
 * deploys every workbook, and its parameters say what they are for.
 */
class AlertRulesTest {
    private static final Path MODULE = TelemetryQueries.REPO.resolve("infra/bicep/modules/observability.bicep");
    private static final Pattern LOG_ALERT = Pattern.compile("name: '([a-z0-9-]+)'\\n(?:(?!\\n  }).)*?query: '''\\n(.*?)'''",
            Pattern.DOTALL);
    private static final Pattern METRIC = Pattern.compile("metricName: '([A-Za-z]+)'");
    private static final Pattern PARAM = Pattern.compile("^param (\\w+)", Pattern.MULTILINE);
    private static final Pattern WORKBOOK = Pattern.compile("loadTextContent\\('\\.\\./\\.\\./\\.\\./workbooks/([^']+)'\\)");

    /**
     * Metrics Azure itself records for a resource, not Vigil's code: Event Grid counts the deliveries it gave up on
     * and dead-lettered, on custom and system topics alike; App Service the share of an app's instances that answer
     * its health check.
     */
    private static final Set<String> PLATFORM_METRICS = Set.of("DeadLetteredCount", "HealthCheckStatus");

    private static String module() throws IOException {
        return Files.readString(MODULE);
    }

    /** Alert name → its KQL, for every log alert of the module. */
    static Map<String, String> logAlerts(String bicep) {
        return TelemetryQueries.pairs(LOG_ALERT, bicep, 2);
    }

    @Test
    void thereIsALogAlertForEachConditionOperatorsMustHearAbout() throws IOException {
        String bicep = module();
        assertThat(logAlerts(bicep).keySet()).containsExactlyInAnyOrder("scoring-5xx", "scoring-p95-latency",
                "event-publish-failures", "background-function-failures", "registration-rejected", "gates-failed",
                "canary-rolled-back",
                "drift-detected", "audit-chain-broken");
        assertThat(bicep.split("query: '''", -1)).as("every query is read by this test").hasSize(logAlerts(bicep).size() + 1);
        assertThat(logAlerts(bicep).get("scoring-p95-latency")).contains("percentile(DurationMs, 95)");
        assertThat(logAlerts(bicep).get("scoring-5xx")).contains("ResultCode startswith \"5\"");
    }

    /**
     * Mirrored rows are scored in batches off the request path, so a slow shadow delays no patient's answer: the
     * latency alert, whose runbook remedies are a rollback or more capacity, watches the slots that serve.
     */
    @Test
    void theLatencyAlertLeavesTheShadowSlotOut() throws IOException {
        String kql = logAlerts(module()).get("scoring-p95-latency");
        assertThat(kql).contains("| where tostring(Properties[\"" + TelemetryNames.TRAFFIC_SLOT + "\"]) != \""
                + Slot.SHADOW.wireName() + "\"");
    }

    @Test
    void everyLogAlertQueriesOnlyWhatTheCodeRecordsOrACapabilityWillRecord() throws IOException {
        TelemetryQueries queries = new TelemetryQueries(Map.of());
        List<String> problems = new ArrayList<>();
        logAlerts(module()).forEach((name, kql) -> problems.addAll(queries.problems("alert " + name, kql)));
        assertThat(problems).isEmpty();
    }

    @Test
    void theCheckCatchesAnAlertOnAMetricNobodyRecords() {
        String bicep = "  {\n    name: 'bad'\n    query: '''\nAppMetrics\n| where Name == \"vigil.gates.failed\"\n"
                + "| summarize failed = sum(Sum)\n'''\n  }\n";
        Map<String, String> alerts = logAlerts(bicep);

        assertThat(alerts).containsOnlyKeys("bad");
        assertThat(new TelemetryQueries(WorkbookQueriesTest.PLANNED).problems("alert bad", alerts.get("bad")))
                .singleElement().asString().contains("`vigil.gates.failed` is not a metric or span the code records");
    }

    @Test
    void deadLettersAlertOnEventGridsOwnMetricForBothTopics() throws IOException {
        String bicep = module();
        assertThat(TelemetryQueries.found(METRIC, bicep)).containsExactlyInAnyOrderElementsOf(PLATFORM_METRICS);
        assertThat(bicep).contains("type: 'Microsoft.EventGrid/topics'", "type: 'Microsoft.EventGrid/systemTopics'");
    }

    /**
     * A scoring host that is down or cannot start records no request, so the 5xx alert never sees it: App Service's
     * own health-check metric on the scoring app raises one. App Service records that metric only for an app with a
     * health check, and the check calls the scoring app's readiness route.
     */
    @Test
    void aScoringAppFailingItsHealthCheckRaisesAnAlert() throws IOException {
        String bicep = module();
        Matcher rules = Pattern.compile(
                "(?s)resource \\w+ 'Microsoft\\.Insights/metricAlerts@[0-9-]+' = \\{\\n(.*?)\\n\\}\\n").matcher(bicep);
        List<String> health = new ArrayList<>();
        while (rules.find()) {
            if (rules.group(1).contains("metricName: 'HealthCheckStatus'")) {
                health.add(rules.group(1));
            }
        }
        assertThat(health).as("metric alerts on HealthCheckStatus").singleElement().asString().contains(
                "scopes: [ scoringApp.id ]", "targetResourceType: 'Microsoft.Web/sites'", "timeAggregation: 'Average'",
                "operator: 'LessThan'", "threshold: 100", "enabled: alertsEnabled", "actionGroupId: actionGroup.id",
                "Runbook: docs/runbooks/alerts.md#scoring-unhealthy");
        assertThat(bicep).contains("resource scoringApp 'Microsoft.Web/sites@2023-12-01' existing = {\n"
                + "  name: scoringAppName\n}");
        assertThat(Files.readString(TelemetryQueries.REPO.resolve("infra/bicep/main.bicep")))
                .contains("scoringAppName: names.scoringApp");

        String apps = Files.readString(TelemetryQueries.REPO.resolve("infra/bicep/modules/functionapps.bicep"));
        Matcher check = Pattern.compile("key: 'scoring'\\n(?:    [^\\n]*\\n)*?    healthCheckPath: '/([^']+)'\\n")
                .matcher(apps);
        assertThat(check.find()).as("the scoring app's health check").isTrue();
        Path routes = TelemetryQueries.REPO.resolve("functions/scoring/src/main/java/health/vigil/functions/scoring"
                + "/HealthFunctions.java");
        assertThat(Files.readString(routes)).contains("route = \"" + check.group(1) + "\"");
        assertThat(Files.readString(TelemetryQueries.REPO.resolve("docs/runbooks/alerts.md")))
                .contains("\n## scoring-unhealthy\n");
    }

    @Test
    void theModuleDeploysEveryWorkbookAndMainDeploysTheModule() throws IOException {
        String bicep = module();
        assertThat(TelemetryQueries.found(WORKBOOK, bicep)).containsExactlyInAnyOrderElementsOf(WorkbookQueriesTest.workbookFiles().stream()
                .map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        assertThat(bicep).contains("'Microsoft.Insights/workbooks@", "'Microsoft.Insights/actionGroups@",
                "'Microsoft.Insights/scheduledQueryRules@", "'Microsoft.Insights/metricAlerts@",
                "replace(w.content, workbookSource, workspace.id)", "var workbookSource = '__VIGIL_WORKSPACE_ID__'");
        assertThat(Files.readString(TelemetryQueries.REPO.resolve("infra/bicep/main.bicep")))
                .contains("module observability 'modules/observability.bicep'");
    }

    @Test
    void everyParameterIsDescribed() throws IOException {
        String bicep = module();
        Matcher m = PARAM.matcher(bicep);
        List<String> undescribed = new ArrayList<>();
        while (m.find()) {
            String before = bicep.substring(0, m.start());
            String declaration = before.substring(before.lastIndexOf("\n\n") + 2);
            if (!declaration.contains("@description('")) {
                undescribed.add(m.group(1));
            }
        }
        assertThat(PARAM.matcher(bicep).results().count()).isGreaterThanOrEqualTo(8);
        assertThat(undescribed).isEmpty();
    }
}
