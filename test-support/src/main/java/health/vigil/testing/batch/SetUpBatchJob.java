package health.vigil.testing.batch;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.scoring.batch.BatchJob;
import health.vigil.scoring.batch.BatchRequest;
import health.vigil.scoring.batch.BatchStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * For tests of what follows a batch job (outcomes, monitoring): scores patients' records as a CSV file through the
 * platform's own batch service, with the version the job would take (the deployed stable one), and returns the
 * results file's lines, so a test can send outcomes by the prediction ids a hospital would have read from it.
 */
public final class SetUpBatchJob {

    private SetUpBatchJob() {}

    /**
     * Uploads {@code records} to {@code batch-input} as {@code file} (patient ids {@code <file>-<row>}; a feature
     * absent from a record is an empty cell), submits the job and runs every partition the platform's work queue
     * took, which the test's queue collected in {@code queued}.
     *
     * @return the results lines in row order ({@code row}, {@code status}, {@code predictionId}, {@code score}...)
     */
    public static List<JsonNode> score(VigilPlatform platform, ModelName model, String file,
            List<Map<String, Object>> records, List<String> features, Queue<String> queued) {
        StringBuilder csv = new StringBuilder("patientId,").append(String.join(",", features)).append('\n');
        for (int i = 0; i < records.size(); i++) {
            csv.append(file).append('-').append(i);
            for (String feature : features) {
                Object value = records.get(i).get(feature);
                csv.append(',').append(value == null ? "" : value);
            }
            csv.append('\n');
        }
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, file,
                new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)), false);
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, file, false), "test-set-up");
        for (String message = queued.poll(); message != null; message = queued.poll()) {
            platform.batches().scorePartition(message);
        }
        BatchStatus status = platform.batches().status(job.id());
        if (status.state() != BatchStatus.State.COMPLETED) {
            throw new IllegalStateException("the batch job " + job.id() + " did not complete: " + status.failure());
        }
        List<JsonNode> results = new ArrayList<>();
        try (InputStream in = platform.batches().openResults(job.id())) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                results.add(Json.readTree("a batch result line", line.getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the results of " + job.id(), e);
        }
        return results;
    }
}
