package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.scoring.FeatureValidationException;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScorableModel;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch path's short way from CSV cells to the model's inputs ({@link CsvRowDecoder}) against the general path
 * a request takes: for every row, the same status, the same score and the same model inputs as {@code POST /score}
 * gives the same patient (the cells read as {@link RowParser} reads them), or the same refusal reasons.
 */
class CsvFastPathTest {
    private static final List<String> HEADER = List.of("patientId", "age", "prior_inpatient_stays", "hba1c",
            "on_insulin", "admission_type", "length_of_stay_days");
    /** Per column (after patientId): plain values the decoder takes, then spellings it must leave or refuse alike. */
    private static final String[][] CELLS = {
        {"71", "18", "110", "+45", "", "17.0", "9.5", "212", "-3", "abc", "1e1", "70.5", "123456789012345678901", "NaN"},
        {"0", "2", "50", "", "3.0", "51", "two", "-0", "1.5"},
        {"8.4", "3", "20", "5.", ".5", "12.25", "7.000000001", "", "2.5", "21", "1e1", "6.02E0", "nan", "Infinity",
            "0x10p0", "5d", "7.1234567890123456789", "  8.1  ", "--8"},
        {"true", "false", "TRUE", "False", "", "yes", "1"},
        {"emergency", "urgent", "elective", "", "Emergency", "walk-in"},
        {"5", "0", "365", "", "12.5", "366", "-0.0", "-1", "4e-1", "forty", "Infinity"},
    };

    @TempDir
    Path home;

    private VigilPlatform platform;
    private ModelName model;

    @BeforeEach
    void aDeployedModelWithTheIdentityPipeline() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                .workQueue((queue, id, message) -> { }).build();
        model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void everyRowGetsTheStatusScoreInputsAndReasonsAScoreRequestGets() {
        ScorableModel scorable = platform.scoring().models().get(new ModelVersion(model, 1));
        RowParser parser = new RowParser(BatchFormat.CSV, HEADER, scorable.validator().schema());
        CsvRowDecoder decoder = CsvRowDecoder.of(scorable.pipeline(), scorable.validator().schema(), HEADER)
                .orElseThrow();
        ChunkScorer scorer = new ChunkScorer("4f1c2a7e-0000-4000-8000-000000000001", scorable,
                new Pseudonymizer(new byte[32]), false, parser, decoder);

        List<String> lines = new ArrayList<>();
        // Every spelling of every column once, the other cells plain.
        for (int column = 0; column < CELLS.length; column++) {
            for (String cell : CELLS[column]) {
                String[] row = plainRow(lines.size());
                row[column + 1] = cell;
                lines.add(String.join(",", row));
            }
        }
        // Then random mixtures, so rows with several problems are compared too.
        SplittableRandom random = new SplittableRandom(20261203L);
        for (int i = 0; i < 400; i++) {
            String[] row = plainRow(lines.size());
            for (int column = 0; column < CELLS.length; column++) {
                if (random.nextInt(3) == 0) {
                    row[column + 1] = CELLS[column][random.nextInt(CELLS[column].length)];
                }
            }
            lines.add(String.join(",", row));
        }
        lines.add("patient-with-a-comma-too-many,71,2,8.4,true,emergency,5,");
        lines.add("patient-short,71,2");
        lines.add(",71,2,8.4,true,emergency,5");
        lines.add("\"quoted-patient\",71,2,8.4,true,emergency,5");
        lines.add("patiënt-é,71,2,8.4,true,emergency,5");
        lines.add("p".repeat(300) + ",71,2,8.4,true,emergency,5");

        List<ChunkScorer.Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            rows.add(new ChunkScorer.Row(i + 1, lines.get(i).getBytes(StandardCharsets.UTF_8), null));
        }
        ChunkScorer.Outcome outcome = scorer.score(rows, Map.of(), Instant.now());

        int decoded = 0;
        int scored = 0;
        for (ChunkScorer.Row row : rows) {
            long n = row.number();
            String line = lines.get((int) n - 1);
            float[] inputs = new float[scorable.pipeline().width()];
            if (decoder.decode(row.line(), row.line().length, inputs, 0) != null) {
                decoded++;
            }
            Expected expected = requestOutcome(parser, scorable, row);
            if (expected.reasons() != null) {
                assertThat(outcome.scored()).as("row %d: %s", n, line).doesNotContainKey(n);
                assertThat(outcome.refused().get(n)).as("row %d: %s", n, line).isEqualTo(expected.reasons());
            } else {
                scored++;
                PredictionRecord p = outcome.scored().get(n);
                assertThat(p).as("row %d: %s", n, line).isNotNull();
                assertThat(p.score()).as("row %d: %s", n, line).isEqualTo(expected.score());
                assertThat(Arrays.equals(p.features(), expected.inputs())).as("row %d: %s inputs %s, expected %s",
                        n, line, Arrays.toString(p.features()), Arrays.toString(expected.inputs())).isTrue();
            }
        }
        // Not vacuous: the short way took most rows, and both outcomes are well represented.
        assertThat(decoded).isGreaterThan(lines.size() / 4);
        assertThat(scored).isGreaterThan(lines.size() / 4);
        assertThat(outcome.refused().size()).isGreaterThan(lines.size() / 4);
        assertThat(outcome.refused().values().toString()).doesNotContain("patient-").doesNotContain("212");
    }

    private record Expected(Double score, float[] inputs, List<String> reasons) {}

    /** What {@code POST /score} does with the row as the general parser reads it. */
    private Expected requestOutcome(RowParser parser, ScorableModel scorable, ChunkScorer.Row row) {
        PatientRow patient;
        try {
            patient = parser.parse(row.number(), row.line(), row.line().length);
        } catch (RowParser.MalformedRow e) {
            return new Expected(null, null, List.of("malformed row: " + e.getMessage()));
        }
        try {
            double score = platform.scoring().score(new ScoreRequest(model, 1, List.of(patient))).row(0).score();
            float[] inputs = new float[scorable.pipeline().width()];
            scorable.pipeline().transform(scorable.validator().validate(patient.features()), inputs, 0);
            return new Expected(score, inputs, null);
        } catch (FeatureValidationException e) {
            // A request numbers its rows; a batch row's number is in its result line instead.
            return new Expected(null, null, e.problems().stream().map(p -> p.replaceFirst("^row 1: ", "")).toList());
        } catch (ValidationException e) {
            return new Expected(null, null, List.of(e.getMessage().replaceFirst("^row 1: ", "")));
        }
    }

    private static String[] plainRow(int index) {
        return new String[] {"patient-" + index, "71", "2", "8.4", "true", "emergency", "5"};
    }
}
