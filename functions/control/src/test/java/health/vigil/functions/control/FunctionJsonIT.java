package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.common.testing.GeneratedFunctions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks the function.json files generated for the control app: every function's trigger (type, route,
 * methods and auth level, or schedule), which is what Azure will actually run.
 */
class FunctionJsonIT {
    @Test
    void everyFunctionIsGeneratedWithItsTrigger() throws IOException {
        Path staging = GeneratedFunctions.staging();
        var functions = GeneratedFunctions.read(staging);

        assertThat(GeneratedFunctions.hostJson(staging).at("/extensions/http/routePrefix").asText("missing")).isEmpty();
        assertThat(GeneratedFunctions.summaries(functions)).isEqualTo(Map.ofEntries(
                Map.entry("UploadModelPackage", List.of("httpTrigger", "models/{name}/packages", "POST", "ANONYMOUS")),
                Map.entry("GetModelVersionHistory", List.of("httpTrigger", "models/{name}/versions/{version}/history", "GET", "ANONYMOUS")),
                Map.entry("ApproveModelVersion", List.of("httpTrigger", "models/{name}/versions/{version}/approve", "POST", "ANONYMOUS")),
                Map.entry("RejectModelVersion", List.of("httpTrigger", "models/{name}/versions/{version}/reject", "POST", "ANONYMOUS")),
                Map.entry("RerunGates", List.of("httpTrigger", "models/{name}/versions/{version}/gates", "POST", "ANONYMOUS")),
                Map.entry("RegisterModel", List.of("eventGridTrigger", "", "", "")),
                Map.entry("IngestOutcomes", List.of("eventGridTrigger", "", "", "")),
                Map.entry("Retrain", List.of("eventGridTrigger", "", "", "")),
                Map.entry("EvaluateGates", List.of("eventGridTrigger", "", "", "")),
                Map.entry("AdvanceCanary", List.of("eventGridTrigger", "", "", "")),
                Map.entry("GetGateReport", List.of("httpTrigger", "models/{name}/versions/{version}/gates", "GET", "ANONYMOUS")),
                Map.entry("GetModelCard", List.of("httpTrigger", "models/{name}/versions/{version}/card", "GET", "ANONYMOUS")),
                Map.entry("GetGatePolicy", List.of("httpTrigger", "models/{name}/gate-policy", "GET", "ANONYMOUS")),
                Map.entry("SetGatePolicy", List.of("httpTrigger", "models/{name}/gate-policy", "PUT", "ANONYMOUS")),
                Map.entry("RegisterDataset", List.of("httpTrigger", "datasets", "POST", "ANONYMOUS")),
                Map.entry("ListDatasets", List.of("httpTrigger", "datasets", "GET", "ANONYMOUS")),
                Map.entry("ListModels", List.of("httpTrigger", "models", "GET", "ANONYMOUS")),
                Map.entry("GetModel", List.of("httpTrigger", "models/{name}", "GET", "ANONYMOUS")),
                Map.entry("GetModelVersion", List.of("httpTrigger", "models/{name}/versions/{version}", "GET", "ANONYMOUS")),
                Map.entry("DeployModelVersion", List.of("httpTrigger", "models/{name}/versions/{version}/deploy", "POST", "ANONYMOUS")),
                Map.entry("RollbackModel", List.of("httpTrigger", "models/{name}/rollback", "POST", "ANONYMOUS")),
                Map.entry("StartCanary", List.of("httpTrigger", "models/{name}/canary", "POST", "ANONYMOUS")),
                Map.entry("GetCanary", List.of("httpTrigger", "models/{name}/canary", "GET", "ANONYMOUS")),
                Map.entry("GetCanaryAnalysis", List.of("httpTrigger", "models/{name}/canary/analysis", "GET", "ANONYMOUS")),
                Map.entry("GetVersionCanary", List.of("httpTrigger", "models/{name}/versions/{version}/canary", "GET",
                        "ANONYMOUS")),
                Map.entry("PromoteCanary", List.of("httpTrigger", "models/{name}/canary/promote", "POST", "ANONYMOUS")),
                Map.entry("PauseCanary", List.of("httpTrigger", "models/{name}/canary/pause", "POST", "ANONYMOUS")),
                Map.entry("ResumeCanary", List.of("httpTrigger", "models/{name}/canary/resume", "POST", "ANONYMOUS")),
                Map.entry("AbortCanary", List.of("httpTrigger", "models/{name}/canary/abort", "POST", "ANONYMOUS")),
                Map.entry("CanaryController", List.of("timerTrigger", "0 * * * * *", "", "")),
                Map.entry("ConfigureShadow", List.of("httpTrigger", "models/{name}/shadow", "POST", "ANONYMOUS")),
                Map.entry("GetShadow", List.of("httpTrigger", "models/{name}/shadow", "GET", "ANONYMOUS")),
                Map.entry("StopShadow", List.of("httpTrigger", "models/{name}/shadow/stop", "POST", "ANONYMOUS")),
                Map.entry("GetShadowReport", List.of("httpTrigger", "models/{name}/shadow/report", "GET", "ANONYMOUS")),
                Map.entry("PlanExperiment", List.of("httpTrigger", "models/{name}/experiments/power", "POST", "ANONYMOUS")),
                Map.entry("StartExperiment", List.of("httpTrigger", "models/{name}/experiments", "POST", "ANONYMOUS")),
                Map.entry("GetExperiment", List.of("httpTrigger", "models/{name}/experiments", "GET", "ANONYMOUS")),
                Map.entry("StopExperiment", List.of("httpTrigger", "models/{name}/experiments/stop", "POST", "ANONYMOUS")),
                Map.entry("GetExperimentReport", List.of("httpTrigger", "models/{name}/experiments/report", "GET",
                        "ANONYMOUS")),
                Map.entry("AuditRecords", List.of("httpTrigger", "audit/records", "GET", "ANONYMOUS")),
                Map.entry("RecordOutcomes", List.of("httpTrigger", "outcomes", "POST", "ANONYMOUS")),
                Map.entry("LabelledFraction", List.of("httpTrigger", "models/{name}/outcomes", "GET", "ANONYMOUS")),
                Map.entry("AuditVerify", List.of("httpTrigger", "audit/verify", "GET", "ANONYMOUS")),
                Map.entry("PredictionRetention", List.of("timerTrigger", "0 30 2 * * *", "", "")),
                Map.entry("DriftCheck", List.of("timerTrigger", "%VIGIL_DRIFT_CHECK_SCHEDULE%", "", "")),
                Map.entry("MonitoringReports", List.of("httpTrigger", "models/{name}/monitoring", "GET", "ANONYMOUS")),
                Map.entry("RunMonitoring", List.of("httpTrigger", "models/{name}/monitoring/run", "POST", "ANONYMOUS")),
                Map.entry("PredictionLineage", List.of("httpTrigger", "predictions/{id}", "GET", "ANONYMOUS")),
                Map.entry("AuditExport", List.of("httpTrigger", "audit/exports", "POST", "ANONYMOUS")),
                Map.entry("AuditEvidenceVerify", List.of("httpTrigger", "audit/evidence/verify", "GET", "ANONYMOUS")),
                Map.entry("AuditDailyExport", List.of("timerTrigger", "0 15 0 * * *", "", "")),
                Map.entry("AuditAnchor", List.of("timerTrigger", "0 0 * * * *", "", "")),
                Map.entry("SubmitBatch", List.of("httpTrigger", "batches", "POST", "ANONYMOUS")),
                Map.entry("GetBatch", List.of("httpTrigger", "batches/{id}", "GET", "ANONYMOUS")),
                Map.entry("GetBatchSummary", List.of("httpTrigger", "batches/{id}/summary", "GET", "ANONYMOUS")),
                Map.entry("GetBatchResults", List.of("httpTrigger", "batches/{id}/results", "GET", "ANONYMOUS")),
                Map.entry("StartBatchOnUpload", List.of("eventGridTrigger", "", "", "")),
                Map.entry("ScoreBatchPartition", List.of("queueTrigger", "batch-partitions on AzureWebJobsStorage", "",
                        "")),
                Map.entry("FailAbandonedBatchPartition", List.of("queueTrigger",
                        "batch-partitions-poison on AzureWebJobsStorage", "", "")),
                Map.entry("DriftCheckPartition", List.of("queueTrigger",
                        "monitoring-partitions on AzureWebJobsStorage", "", ""))));
        assertThat(functions.values()).allSatisfy(f -> assertThat(f.entryPoint()).startsWith("health.vigil.functions.control."));
    }

    @Test
    void theAppShipsNoTestSupport() throws IOException {
        assertThat(GeneratedFunctions.testSupport(GeneratedFunctions.staging()))
                .as("fixtures and emulators are for tests; the Function App must not deploy them").isEmpty();
    }
}
