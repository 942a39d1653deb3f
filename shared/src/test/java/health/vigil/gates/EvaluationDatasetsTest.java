package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What registration refuses in an evaluation dataset, and what its messages never repeat. */
class EvaluationDatasetsTest {
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));
    /** When an earlier release registered the datasets it stored. */
    private static final java.time.Instant EARLIER = java.time.Instant.parse("2026-11-02T09:00:00Z");

    @TempDir
    Path home;

    private LocalAdapters adapters;
    private AuditLog audit;
    private EvaluationDatasets datasets;

    @BeforeEach
    void setUp() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        audit = new AuditLog(adapters.auditStore(), Clock.systemUTC());
        datasets = new EvaluationDatasets(adapters.artifactStore(), audit, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        adapters.close();
    }

    private EvaluationDataset register(String csv, String label, String age, List<String> segments) {
        return datasets.register(new EvaluationDataset.Declaration("readmission", "eval.csv", label, age, null, segments),
                csv.getBytes(StandardCharsets.UTF_8), STEWARD);
    }

    /** The registry as seen by datasets of a model whose newest version is {@code version}, reading {@code features}. */
    private EvaluationDatasets readBy(int version, health.vigil.model.Feature... features) {
        health.vigil.model.FeatureSchema schema = new health.vigil.model.FeatureSchema(List.of(features));
        return new EvaluationDatasets(adapters.artifactStore(), new AuditLog(adapters.auditStore(), Clock.systemUTC()),
                Clock.systemUTC(), model -> java.util.Optional.of(new EvaluationDatasets.Schema(version, schema)));
    }

    private static String rows(int n) {
        StringBuilder csv = new StringBuilder("age,race,outcome\n");
        for (int i = 0; i < n; i++) {
            csv.append(30 + i % 50).append(',').append(i % 3 == 0 ? "Caucasian" : "Other").append(',').append(i % 2)
                    .append('\n');
        }
        return csv.toString();
    }

    @Test
    void aFileWithoutAHeaderIsRefusedWithoutRepeatingItsFirstRow() {
        String noHeader = "MRN-0012345,Jane Doe,1950-01-02,1\nMRN-0012346,John Roe,1961-02-03,0\n";

        assertThatThrownBy(() -> register(noHeader, "outcome", null, List.of()))
                .isInstanceOf(ValidationException.class).hasMessageContaining("does not look like a header")
                .hasMessageNotContaining("MRN").hasMessageNotContaining("Jane").hasMessageNotContaining("1950");
    }

    @Test
    void aFirstRowOfWordsIsRepeatedOnlyWhenItNamesAColumnTheDeclarationOrTheModelReads() {
        // Every cell starts with a letter, as a header's names do, but none is a column anyone asked for.
        String noHeader = "MRN-0012345,Jane Doe,emergency,yes\nMRN-0012346,John Roe,elective,no\n";

        assertThatThrownBy(() -> register(noHeader, "outcome", "age", List.of("race")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("does not look like a header")
                .hasMessageNotContaining("MRN").hasMessageNotContaining("Jane").hasMessageNotContaining("emergency");
        // A header whose label is misspelt names the declared age column, or a feature of the model: it is listed.
        assertThatThrownBy(() -> register("age,race,outcomes\n40,Other,0\n", "outcome", "age", List.of()))
                .hasMessageContaining("no label column 'outcome'; its columns are [age, race, outcomes]");
        EvaluationDatasets checked = readBy(3, health.vigil.model.Feature.categorical("race", List.of("Other")));
        assertThatThrownBy(() -> checked.register(new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome",
                null, null, null), "race,outcomes\nOther,0\n".getBytes(StandardCharsets.UTF_8), STEWARD))
                .hasMessageContaining("its columns are [race, outcomes]");
    }

    @Test
    void oneColumnCannotBeBothTheAgeAndTheSexColumn() {
        assertThatThrownBy(() -> new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", "age", "age",
                List.of("race"))).isInstanceOf(ValidationException.class).hasMessageContaining("the same column");
        assertThat(new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", "age", "sex", null)
                .sexColumn()).isEqualTo("sex");
        assertThat(new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", null, null, null)
                .ageColumn()).isNull();
    }

    @Test
    void aFileNameIsTheFilesOwnPrintableNameNotAPath() {
        // A blank name is not left to become dataset.csv: only a name left out is.
        for (String name : new String[] {"", "  ", "../../etc/passwd", "/etc/x.csv", "C:\\data\\x.csv", "a\u0000b.csv",
                "..", "x".repeat(201), "eval\u202e.csv"}) {
            assertThatThrownBy(() -> new EvaluationDataset.Declaration("readmission", name, "outcome", null, null, null))
                    .as(name).isInstanceOf(ValidationException.class).hasMessageStartingWith("fileName must be the file's own name");
        }
        assertThat(new EvaluationDataset.Declaration("readmission", "my evaluation (Dec).csv", "outcome", null, null, null)
                .fileName()).isEqualTo("my evaluation (Dec).csv");
        assertThat(new EvaluationDataset.Declaration("readmission", null, "outcome", null, null, null).fileName())
                .isEqualTo("dataset.csv");
    }

    @Test
    void aByteOrderMarkIsSkippedAndTheHeaderIsRead() {
        EvaluationDataset dataset = register("\uFEFF" + rows(20), "outcome", "age", List.of("race"));

        assertThat(dataset.columns()).containsExactly("age", "race", "outcome");
    }

    @Test
    void aDuplicateColumnARaggedRowOrAnOpenQuoteIsNamedNotGuessed() {
        // Two columns without a name are not one column named twice: the message says which, as batch files do.
        assertThatThrownBy(() -> register("age,outcome,,\n40,0,,\n50,1,,\n", "outcome", null, List.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("the dataset's header has blank column names: columns 3 and 4 (counted from 1)");
        assertThatThrownBy(() -> register("age,,outcome\n40,x,0\n50,y,1\n", "outcome", null, List.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("has a column without a name (column 2, counted from 1)");
        assertThatThrownBy(() -> register("age,outcome,outcome\n40,0,1\n50,1,1\n", "outcome", null, List.of()))
                .hasMessageContaining("names a column twice ('outcome')");
        assertThatThrownBy(() -> register("age,race,outcome\n40,Other,0\n50,Other,1,extra\n", "outcome", null, List.of()))
                .hasMessageContaining("row 2 has 4 cells; the header has 3");
        assertThatThrownBy(() -> register("age,race,outcome\n40,Other\n50,Other,1\n", "outcome", null, List.of()))
                .hasMessageContaining("row 1 has 2 cells");
        assertThatThrownBy(() -> register("age,race,outcome\n40,\"Other,0\n50,Other,1\n", "outcome", null, List.of()))
                .isInstanceOf(ValidationException.class).hasMessageNotContaining("Exception");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedNotReplaced() {
        byte[] latin1 = "age,race,outcome\n40,Bogot\u00e1,0\n50,Other,1\n".getBytes(StandardCharsets.ISO_8859_1);

        assertThatThrownBy(() -> datasets.register(new EvaluationDataset.Declaration("readmission", "x.csv", "outcome",
                null, null, List.of()), latin1, STEWARD)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("not UTF-8");
    }

    @Test
    void theLabelIsNotASegmentAndASegmentColumnHasFewValues() {
        assertThatThrownBy(() -> register(rows(20), "outcome", "outcome", List.of()))
                .hasMessageContaining("also declared as a segment column");
        assertThatThrownBy(() -> register(rows(20), "outcome", null, List.of("race", "race")))
                .hasMessageContaining("twice");
        StringBuilder sites = new StringBuilder("site,outcome\n");
        for (int i = 0; i < 60; i++) {
            sites.append("SITE-").append(i).append(',').append(i % 2).append('\n');
        }
        assertThatThrownBy(() -> register(sites.toString(), "outcome", null, List.of("site")))
                .hasMessageContaining("more than 50 distinct values").hasMessageNotContaining("SITE-");
        // The age column is banded by decade, so its many raw values are fine.
        assertThat(register(rows(120), "outcome", "age", List.of("race")).rows()).isEqualTo(120);
    }

    /** {@code n} rows of a file whose {@code column} holds {@code cell} of the row's index, outcomes alternating. */
    private static String withColumn(String column, int n, java.util.function.IntFunction<String> cell) {
        StringBuilder csv = new StringBuilder(column + ",outcome\n");
        for (int i = 0; i < n; i++) {
            csv.append(cell.apply(i)).append(',').append(i % 2).append('\n');
        }
        return csv.toString();
    }

    @Test
    void aColumnOfOneValuePerPatientIsNoSegmentHoweverSmallTheFile() {
        // 40 patients, each with a record number of their own: fewer than the 50 values a segment column may have.
        String numbers = withColumn("mrn", 40, i -> "MRN-00123" + (10 + i));

        assertThatThrownBy(() -> register(numbers, "outcome", null, List.of("mrn")))
                .isInstanceOf(ValidationException.class)
                .satisfies(e -> assertThat(((ValidationException) e).httpStatus()).isEqualTo(400))
                .hasMessageContaining("segment column 'mrn' has 40 distinct values in 40 rows, 40 of them in one row"
                        + " only")
                .hasMessageContaining("a segment column groups patients into a few categories")
                .hasMessageNotContaining("MRN-");
        // Names, a few of them shared, and as the sex column.
        String names = withColumn("name", 30, i -> "Patient " + (i < 6 ? "Doe" + i % 3 : "Roe" + i));
        assertThatThrownBy(() -> datasets.register(new EvaluationDataset.Declaration("readmission", "eval.csv",
                "outcome", null, "name", null), names.getBytes(StandardCharsets.UTF_8), STEWARD))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("segment column 'name' has 27 distinct values in 30 rows, 24 of them in one row")
                .hasMessageNotContaining("Doe").hasMessageNotContaining("Roe");
        // A record number repeated for each patient's second encounter.
        String encounters = withColumn("mrn", 80, i -> "MRN-00123" + (10 + i / 2));
        assertThatThrownBy(() -> register(encounters, "outcome", null, List.of("mrn")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("segment column 'mrn' has 40 distinct values in 80 rows, under 3 rows each on"
                        + " average")
                .hasMessageNotContaining("MRN-");
        assertThat(datasets.list(java.util.Optional.empty())).isEmpty();
    }

    @Test
    void aFewCategoriesAreSegmentsOnTheSmallestFileRegistrationTakes() {
        // 20 rows, 10 of each outcome: two sexes, six races, and eleven age bands, ten of them in one row each.
        StringBuilder csv = new StringBuilder("sex,race,age_band,outcome\n");
        for (int i = 0; i < 20; i++) {
            csv.append(i % 3 == 0 ? "Female" : "Male").append(",Race").append(i % 6).append(",[")
                    .append(i < 10 ? i * 10 : 100).append('-').append(i < 10 ? i * 10 + 10 : 110).append("),")
                    .append(i % 2).append('\n');
        }

        EvaluationDataset dataset = datasets.register(new EvaluationDataset.Declaration("readmission", "eval.csv",
                "outcome", null, "sex", List.of("race", "age_band")), csv.toString().getBytes(StandardCharsets.UTF_8),
                STEWARD);

        assertThat(dataset.segmentColumns()).containsExactly("sex", "race", "age_band");
        // More than 20 values are segments too where each holds a few rows: 25 sites of 4 rows each.
        assertThat(register(withColumn("site", 100, i -> "Site" + i % 25), "outcome", null, List.of("site")).rows())
                .isEqualTo(100);
    }

    @Test
    void aDatasetTheNewestVersionCannotReadIsRefusedBeforeItFailsEveryGate() {
        EvaluationDatasets checked = readBy(3, health.vigil.model.Feature.integer("age", "years", 0, 120));
        String unreadable = rows(20).replace("\n31,", "\nthirty-one,");

        assertThatThrownBy(() -> checked.register(new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome",
                "age", null, List.of("race")), unreadable.getBytes(StandardCharsets.UTF_8), STEWARD))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("cannot be read with the features of readmission version 3")
                .hasMessageContaining("row 2: column 'age' must be integer");
        assertThat(checked.list(java.util.Optional.empty())).isEmpty();
        assertThat(checked.register(new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", "age", null,
                List.of("race")), rows(20).getBytes(StandardCharsets.UTF_8), STEWARD).rows()).isEqualTo(20);
    }

    @Test
    void whoRegistersADatasetIsToldHowManyRowsTheNewestVersionRefuses() {
        // Version 3 reads patients from 40 on: rows of 30-39 are refused, as its coverage gate will count them.
        EvaluationDatasets checked = readBy(3, health.vigil.model.Feature.integer("age", "years", 40, 120));
        byte[] file = rows(100).getBytes(StandardCharsets.UTF_8);
        EvaluationDataset dataset = checked.register(new EvaluationDataset.Declaration("readmission", "eval.csv",
                "outcome", "age", null, List.of("race")), file, STEWARD);

        EvaluationDatasets.VersionCoverage coverage = checked.newestVersionCoverage(dataset, file).orElseThrow();

        assertThat(coverage.version()).isEqualTo(3);
        assertThat(coverage.rows()).isEqualTo(100);
        assertThat(coverage.refused()).isEqualTo(20); // ages 30-39 twice over in 100 rows of 30 + i % 50
        assertThat(coverage.firstRefusal()).startsWith("row 1").contains("age").doesNotContain("30");
        assertThat(coverage.refusedByRule()).containsExactly(
                org.assertj.core.api.Assertions.entry("feature 'age' is out of range; allowed range is 40-120", 20));
        assertThat(datasets.newestVersionCoverage(dataset, file)).as("a model without a version").isEmpty();
    }

    @Test
    void aDatasetNeedsTenRowsOfEachOutcome() {
        assertThatThrownBy(() -> register("age,race,outcome\n40,Other,0\n50,Other,1\n", "outcome", null, List.of()))
                .hasMessageContaining("has 1 row of its rarer outcome").hasMessageContaining("at least 10 of each");
        assertThatThrownBy(() -> register(rows(19), "outcome", null, List.of())).hasMessageContaining("has 9 rows");
        assertThat(register(rows(20), "outcome", null, List.of()).positives()).isEqualTo(10);
    }

    @Test
    void theSameFileWithOtherDeclarationsIsAConflictNotTheFirstAnswerInSilence() {
        EvaluationDataset first = register(rows(20), "outcome", "age", List.of("race"));

        assertThat(register(rows(20), "outcome", "age", List.of("race"))).isEqualTo(first);
        assertThatThrownBy(() -> register(rows(20), "outcome", null, List.of("race")))
                .isInstanceOf(ConflictException.class).hasMessageContaining("register it as it was");
    }

    /**
     * Two registrations of one file for the model at once, under other declarations: the one whose writes find the
     * other's manifest stored since its look-up is the 409 it would be a moment later, and records nothing of the
     * registration it did not make. Under the same declarations it is that registration, as a retry is.
     */
    @Test
    void aRegistrationThatLosesTheRaceToOtherDeclarationsIsTheConflictItWouldBeAMomentLater() {
        byte[] file = rows(20).getBytes(StandardCharsets.UTF_8);
        EvaluationDataset.Declaration other = new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome",
                null, null, List.of("race"));

        Throwable lost = catchThrowable(() -> racedBy(other, file).register(new EvaluationDataset.Declaration(
                "readmission", "eval.csv", "outcome", "age", null, List.of("race")), file, STEWARD));
        Throwable later = catchThrowable(() -> register(rows(20), "outcome", "age", List.of("race")));

        assertThat(later).isInstanceOf(ConflictException.class).hasMessageContaining("register it as it was");
        assertThat(lost).isInstanceOf(ConflictException.class).hasMessage(later.getMessage());
        assertThat(EarlierReleaseDatasets.registrations(audit)).as("no record of the other's registration").isEmpty();
        assertThat(datasets.list(java.util.Optional.empty())).singleElement()
                .satisfies(d -> assertThat(d.registeredBy()).isEqualTo("other-steward"))
                .satisfies(d -> assertThat(d.ageColumn()).isNull());

        byte[] sameRace = rows(40).getBytes(StandardCharsets.UTF_8);
        EvaluationDataset first = racedBy(other, sameRace).register(other, sameRace, STEWARD);
        assertThat(first.registeredBy()).isEqualTo("other-steward");
        assertThat(EarlierReleaseDatasets.registrations(audit)).singleElement()
                .satisfies(r -> assertThat(r.actor()).isEqualTo("other-steward"));
    }

    /**
     * Registration on a store where another registration of {@code file} under {@code declaration} stores its file and
     * manifest (and has not recorded them yet) just before this one first writes: both passed their look-up.
     */
    private EvaluationDatasets racedBy(EvaluationDataset.Declaration declaration, byte[] file) {
        health.vigil.port.ArtifactStore racing = new health.vigil.port.ForwardingArtifactStore(
                adapters.artifactStore()) {
            private boolean raced;

            @Override
            public StoredArtifact put(String container, String name, java.io.InputStream content, boolean overwrite,
                    String uploadedBy) {
                if (!raced) {
                    raced = true;
                    EarlierReleaseDatasets.storeUnrecorded(store, declaration, file, "other-steward",
                            java.time.Instant.now());
                }
                return super.put(container, name, content, overwrite, uploadedBy);
            }
        };
        return new EvaluationDatasets(racing, audit, Clock.systemUTC());
    }

    /**
     * A dataset's file changed in the container: the gates' read of it is refused, and the message says what brings a
     * dataset back to them, each of which is tried here; not registering the file again, which keeps the stored one.
     */
    @Test
    void aChangedFileIsRefusedSayingWhatBringsTheDatasetBack() {
        EvaluationDataset dataset = register(rows(20), "outcome", "age", List.of("race"));
        String name = "data/" + dataset.sha256() + ".csv";
        storeOver(name, rows(20).replace("Caucasian", "White"));

        assertThatThrownBy(() -> datasets.content(dataset))
                .isInstanceOfSatisfying(VigilException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessage("evaluation dataset " + dataset.sha256() + " of readmission no longer has that sha256:"
                        + " its file, " + name + " in the datasets container, was changed after it was registered."
                        + " Registering the same file again keeps the changed one (a file is stored once); put the"
                        + " registered file back under that name (a copy whose sha256 is " + dataset.sha256() + "), or"
                        + " register a corrected file for readmission, which its gates then judge on as the newest"
                        + " dataset; then run the version's gates again (vigil models gates readmission VERSION"
                        + " --rerun)");

        storeOver(name, rows(20));
        assertThat(datasets.content(dataset)).isEqualTo(rows(20).getBytes(StandardCharsets.UTF_8));
        storeOver(name, rows(20).replace("Caucasian", "White"));
        EvaluationDataset corrected = new EvaluationDatasets(adapters.artifactStore(), audit,
                Clock.offset(Clock.systemUTC(), java.time.Duration.ofMinutes(1))).register(new EvaluationDataset
                        .Declaration("readmission", "eval.csv", "outcome", "age", null, List.of("race")),
                rows(22).getBytes(StandardCharsets.UTF_8), STEWARD);
        assertThat(datasets.latest(new health.vigil.model.ModelName("readmission"))).contains(corrected);
        assertThat(datasets.content(corrected)).isEqualTo(rows(22).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A file whose stored copy was changed in the container since it was registered: registering it for another model,
     * or again for its own, is refused, saying what to do, not answered as a registration the gates cannot read.
     */
    @Test
    void aFileWhoseStoredCopyWasChangedIsNotAnsweredAsRegistered() {
        EvaluationDataset dataset = register(rows(20), "outcome", "age", List.of("race"));
        String name = "data/" + dataset.sha256() + ".csv";
        storeOver(name, rows(20).replace("Caucasian", "White"));
        EvaluationDataset.Declaration sepsis = new EvaluationDataset.Declaration("sepsis", "eval.csv", "outcome", "age",
                null, List.of("race"));
        byte[] file = rows(20).getBytes(StandardCharsets.UTF_8);
        String refusal = "the datasets container holds another file under this file's name, " + name + ": the file"
                + " stored there when it was first registered was changed since, and a file is stored once, so"
                + " registering it again does not replace it. Put this file back under that name (its sha256 is "
                + dataset.sha256() + ") and send the registration again";

        for (EvaluationDataset.Declaration declaration : List.of(sepsis, new EvaluationDataset.Declaration(
                "readmission", "eval.csv", "outcome", "age", null, List.of("race")))) {
            assertThatThrownBy(() -> datasets.register(declaration, file, STEWARD)).as(declaration.model())
                    .isInstanceOfSatisfying(VigilException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                    .hasMessage(refusal);
        }
        assertThat(datasets.list(java.util.Optional.of(new health.vigil.model.ModelName("sepsis")))).isEmpty();
        assertThat(EarlierReleaseDatasets.registrations(audit)).singleElement()
                .satisfies(r -> assertThat(r.subject()).startsWith("/datasets/readmission/"));

        storeOver(name, rows(20));
        EvaluationDataset registered = datasets.register(sepsis, file, STEWARD);
        assertThat(datasets.content(registered)).isEqualTo(file);

        // A registration that stopped before its record is still recorded by the replay refused for its file.
        EvaluationDataset unrecorded = EarlierReleaseDatasets.storeUnrecorded(adapters.artifactStore(), sepsis,
                rows(30).getBytes(StandardCharsets.UTF_8), "first-steward", EARLIER);
        storeOver("data/" + unrecorded.sha256() + ".csv", rows(20));
        assertThatThrownBy(() -> datasets.register(sepsis, rows(30).getBytes(StandardCharsets.UTF_8), STEWARD))
                .hasMessageContaining("Put this file back under that name");
        assertThat(EarlierReleaseDatasets.registrations(audit)).anySatisfy(r -> assertThat(r.subject())
                .isEqualTo("/datasets/sepsis/" + unrecorded.sha256()));
    }

    /** Writes {@code csv} over the blob {@code name} in the datasets container, as someone with write access can. */
    private void storeOver(String name, String csv) {
        adapters.artifactStore().put(health.vigil.port.ArtifactStore.DATASETS, name,
                new java.io.ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), true);
    }

    /**
     * A file an earlier release registered, before the per-patient segment rule and the ten rows of each outcome: the
     * same registration again (a redelivery, a retry, the file sent again) is answered with it, and records nothing.
     */
    @Test
    void aRegistrationAnEarlierReleaseAcceptedIsAnsweredAgainNotRefusedByTheChecksAddedSince() {
        String numbers = withColumn("mrn", 40, i -> "MRN-00123" + (10 + i));
        String fewPositives = "age,race,outcome\n40,Other,0\n50,Other,1\n60,Other,0\n";
        for (String csv : List.of(numbers, fewPositives)) {
            List<String> segments = csv == numbers ? List.of("mrn") : List.of("race");
            EvaluationDataset stored = EarlierReleaseDatasets.store(adapters.artifactStore(), audit,
                    new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", null, null, segments),
                    csv.getBytes(StandardCharsets.UTF_8), "data-steward", EARLIER);
            List<health.vigil.model.AuditRecord> recorded = EarlierReleaseDatasets.registrations(audit);

            assertThat(register(csv, "outcome", null, segments)).isEqualTo(stored);
            assertThat(EarlierReleaseDatasets.registrations(audit)).isEqualTo(recorded);
        }
        assertThat(datasets.list(java.util.Optional.empty())).hasSize(2);
    }

    /**
     * What a stored registration answers is only the same file under the same declarations: another file with the
     * problem, or the stored file under other declarations, is checked and refused as it always was.
     */
    @Test
    void anotherFileOrOtherDeclarationsAreStillCheckedWhenAnEarlierReleasesFileIsStored() {
        String numbers = withColumn("mrn", 40, i -> "MRN-00123" + (10 + i));
        EarlierReleaseDatasets.store(adapters.artifactStore(), audit, new EvaluationDataset.Declaration("readmission",
                "eval.csv", "outcome", null, null, List.of("mrn")), numbers.getBytes(StandardCharsets.UTF_8),
                "data-steward", EARLIER);
        List<health.vigil.model.AuditRecord> recorded = EarlierReleaseDatasets.registrations(audit);
        String otherPatients = withColumn("mrn", 40, i -> "MRN-00456" + (10 + i));

        assertThatThrownBy(() -> register(otherPatients, "outcome", null, List.of("mrn")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("40 of them in one row only");
        assertThatThrownBy(() -> datasets.register(new EvaluationDataset.Declaration("readmission", "eval.csv",
                "outcome", null, "mrn", null), numbers.getBytes(StandardCharsets.UTF_8), STEWARD))
                .isInstanceOf(ValidationException.class).hasMessageContaining("40 of them in one row only");
        assertThatThrownBy(() -> datasets.register(new EvaluationDataset.Declaration("sepsis", "eval.csv", "outcome",
                null, null, List.of("mrn")), numbers.getBytes(StandardCharsets.UTF_8), STEWARD))
                .isInstanceOf(ValidationException.class).hasMessageContaining("40 of them in one row only");
        assertThat(EarlierReleaseDatasets.registrations(audit)).isEqualTo(recorded);
        assertThat(datasets.list(java.util.Optional.empty())).hasSize(1);
    }

    /**
     * A file registered before the model's newest version, which cannot read it: registered again, it is answered with
     * the stored registration and with that version reading none of its rows, as its gates will, instead of a 400.
     */
    @Test
    void aStoredDatasetTheNewestVersionCannotReadIsAnsweredWithThatVersionReadingNoneOfIt() {
        String unreadable = rows(20).replace("\n31,", "\nthirty-one,");
        EvaluationDataset.Declaration declaration = new EvaluationDataset.Declaration("readmission", "eval.csv",
                "outcome", "age", null, List.of("race"));
        EvaluationDataset stored = EarlierReleaseDatasets.store(adapters.artifactStore(), audit, declaration,
                unreadable.getBytes(StandardCharsets.UTF_8), "data-steward", EARLIER);
        EvaluationDatasets checked = readBy(3, health.vigil.model.Feature.integer("age", "years", 0, 120));

        byte[] file = unreadable.getBytes(StandardCharsets.UTF_8);
        assertThat(checked.register(declaration, file, STEWARD)).isEqualTo(stored);
        EvaluationDatasets.VersionCoverage coverage = checked.newestVersionCoverage(stored, file).orElseThrow();

        assertThat(coverage.version()).isEqualTo(3);
        assertThat(coverage.rows()).isEqualTo(20);
        assertThat(coverage.refused()).isEqualTo(20);
        assertThat(coverage.firstRefusal()).isEqualTo("the dataset cannot be read with the features of readmission"
                + " version 3, which its gates would judge on it: row 2: column 'age' must be integer as the model's"
                + " schema says");
        assertThat(coverage.refusedByRule()).containsExactly(org.assertj.core.api.Assertions.entry(
                "the dataset cannot be read with the version's features", 20));
    }

    /**
     * A registration that stopped after storing its manifest, before its audit record (the request timed out): the
     * retry completes the record, once, under the first registration's steward, as every decision is completed.
     */
    @Test
    void aRetryAfterARegistrationStoppedBeforeItsRecordCompletesTheRecordOnce() {
        EvaluationDataset stored = EarlierReleaseDatasets.storeUnrecorded(adapters.artifactStore(),
                new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", "age", null, List.of("race")),
                rows(20).getBytes(StandardCharsets.UTF_8), "first-steward", EARLIER);

        assertThat(register(rows(20), "outcome", "age", List.of("race"))).isEqualTo(stored);
        assertThat(register(rows(20), "outcome", "age", List.of("race"))).isEqualTo(stored);

        assertThat(EarlierReleaseDatasets.registrations(audit)).singleElement().satisfies(r -> {
            assertThat(r.actor()).isEqualTo("first-steward");
            assertThat(r.subject()).isEqualTo("/datasets/readmission/" + stored.sha256());
            assertThat(r.details()).containsEntry("idempotencyKey", "dataset.register:readmission:" + stored.sha256())
                    .containsEntry("rows", "20").containsEntry("segments", "age,race")
                    .containsEntry("completedBy", STEWARD.id());
        });
    }

    /**
     * A registered file whose stored copy was removed from the container: the same registration again stores the file
     * sent (its sha256 is the one registered) rather than answering a dataset the gates could not read.
     */
    @Test
    void aRegistrationMadeAgainAfterItsStoredFileWasRemovedStoresTheFileAgain() {
        EvaluationDataset dataset = register(rows(20), "outcome", "age", List.of("race"));
        adapters.artifactStore().delete(health.vigil.port.ArtifactStore.DATASETS, "data/" + dataset.sha256() + ".csv");

        assertThat(register(rows(20), "outcome", "age", List.of("race"))).isEqualTo(dataset);

        assertThat(datasets.content(dataset)).isEqualTo(rows(20).getBytes(StandardCharsets.UTF_8));
        assertThat(EarlierReleaseDatasets.registrations(audit)).singleElement()
                .satisfies(r -> assertThat(r.details()).doesNotContainKey("completedBy"));
    }
}
