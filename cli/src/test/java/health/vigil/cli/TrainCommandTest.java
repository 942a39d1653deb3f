package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.features.FeaturePipelines;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.hash.Sha256;
import health.vigil.training.ClinicalModel;
import health.vigil.training.ModelTraining;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.data.PatientSplit;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new TrainCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void trainsOnSyntheticDataWritesAValidPackageAndSummarisesTheMetrics() throws Exception {
        Path pkg = dir.resolve("complications.zip");
        int exit = run("complications", "--rows", "3000", "--rounds", "40", "--out", pkg.toString());
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("complications: gradient-boosted trees (XGBoost)", "AUROC", "overall",
                "age 50-69", "sex Female", "threshold", "complications@", "package");
        assertThat(err.toString()).contains("training gradient-boosted trees (XGBoost) (40 steps)");
        try (OrtModelRuntime runtime = new OrtModelRuntime(); InputStream in = Files.newInputStream(pkg)) {
            ModelPackage read = new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS,
                    FeaturePipelines.standard()::width).read(in);
            assertThat(read.manifest().name().value()).isEqualTo("complications");
        }
        // Generated as a source file, as a real data file is: retraining cannot use a dataset file for it.
        assertThat(dir.resolve("complications-training.tsv")).doesNotExist();
    }

    /**
     * A model trained on generated data is retrained from that data, which the platform finds in its datasets container
     * under the sha256 the package's provenance names: vigil train writes it beside the package, in the dataset file
     * format, and says where it goes. Without it the first retraining the monitoring asks for fails.
     */
    @Test
    void trainingOnGeneratedDataWritesTheTrainingDatasetRetrainingReadsAndWhereItGoes() throws Exception {
        Path pkg = dir.resolve("readmission.zip");
        int exit = run("readmission", "--rows", "2000", "--rounds", "20", "--out", pkg.toString());
        assertThat(exit).as(err.toString()).isZero();

        ModelPackage read;
        try (OrtModelRuntime runtime = new OrtModelRuntime(); InputStream in = Files.newInputStream(pkg)) {
            read = new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS, FeaturePipelines.standard()::width)
                    .read(in);
        }
        String sha256 = read.manifest().provenance().datasetSha256();
        Path training = dir.resolve("readmission-training.tsv");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(training))).isEqualTo("rw-------");
        assertThat(Sha256.hex(Files.readAllBytes(training))).isEqualTo(sha256);
        try (InputStream in = Files.newInputStream(training)) {
            assertThat(DatasetFile.read(ClinicalModel.READMISSION.pipeline().rawSchema(), in, sha256).size())
                    .isEqualTo(2000);
        }
        assertThat(out.toString()).contains("training  " + training, "datasets container as " + sha256 + ".tsv",
                "blobs/datasets/" + sha256 + ".tsv");
    }

    @Test
    void unknownModelAndMissingFileAreClearErrorsWithExitCode2() {
        assertThat(run("mortality")).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("no clinical model 'mortality'", "readmission", "adherence", "complications");
        assertThat(run("readmission", "--data", dir.resolve("nope.csv").toString())).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("does not exist: nope.csv");
        assertThat(run("adherence", "--algorithm", "forest")).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("use gbt or logistic");
    }

    @Test
    void theDataThePackageAndTheTestPartMustBeThreeFilesAndSyntheticRowsHaveACeiling() throws Exception {
        Path data = dir.resolve("diabetic_data.csv");
        writeUciFile(data, 120);
        byte[] original = Files.readAllBytes(data);
        String[][] clashes = {
            {"--out", data.toString()},
            {"--evaluation-out", data.toString()},
            {"--out", dir.resolve("same.zip").toString(), "--evaluation-out", dir.resolve("same.zip").toString()},
            {"--out", dir.resolve("sub/../r.zip").toString(), "--evaluation-out", dir.resolve("r.zip").toString()}};
        for (String[] clash : clashes) {
            List<String> args = new ArrayList<>(List.of("readmission", "--data", data.toString(), "--rounds", "5"));
            args.addAll(List.of(clash));
            assertThat(run(args.toArray(String[]::new))).as(String.join(" ", clash))
                    .isEqualTo(TrainCommand.EXIT_BAD_INPUT);
            assertThat(err.toString()).contains("name the same file");
        }
        assertThat(Files.readAllBytes(data)).as("the data is left as it was").isEqualTo(original);
        assertThat(dir.resolve("same.zip")).doesNotExist();

        Path folder = Files.createDirectory(dir.resolve("packages"));
        assertThat(run("readmission", "--rows", "500", "--out", folder.toString()))
                .isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("packages is a folder; give the file's own name to write")
                .doesNotContain("training");
        assertThat(run("readmission", "--rows", "2000000000")).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("--rows is 2000000000; train on 100 to 1000000 synthetic rows");
    }

    @Test
    void aFolderGivenAsTheDataIsCalledOneWithWhatToGiveInstead() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("cohort"));
        assertThat(run("complications", "--data", folder.toString())).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("is a folder, not a file: cohort", "give the path of the CSV file")
                .doesNotContain("could not be read");
    }

    @Test
    void trainingOnADataFileWritesTheTestPatientsAsAnOwnerOnlyEvaluationDatasetAndHowToRegisterIt() throws Exception {
        Map<Integer, Integer> encounters = writeUciFile(dir.resolve("diabetic_data.csv"), 600);
        Path pkg = dir.resolve("readmission.zip");
        int exit = run("readmission", "--data", dir.resolve("diabetic_data.csv").toString(), "--rounds", "20",
                "--seed", "11", "--out", pkg.toString());
        assertThat(exit).as(err.toString()).isZero();

        Path evaluation = dir.resolve("readmission-evaluation.csv");
        assertThat(dir.resolve("readmission-training.tsv")).doesNotExist();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(evaluation))).isEqualTo("rw-------");
        assertThat(out.toString()).contains("register  vigil datasets register " + evaluation + " --model readmission"
                + " --label outcome --age-column age_group --sex-column sex_group --segment race");
        List<CSVRecord> rows;
        try (Reader in = Files.newBufferedReader(evaluation, StandardCharsets.UTF_8)) {
            rows = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get().parse(in).getRecords();
        }
        assertThat(rows.get(0).getParser().getHeaderNames()).doesNotContain("patient_nbr", "encounter_id")
                .contains("age_band", "gender", "race", "outcome", "age_group", "sex_group");

        // The fixture writes a patient's number into num_lab_procedures and num_medications of each encounter.
        PatientSplit split = ModelTraining.split(11);
        Map<Integer, Integer> written = new HashMap<>();
        for (CSVRecord row : rows) {
            int patient = Integer.parseInt(row.get("num_medications")) * 500 + Integer.parseInt(row.get("num_lab_procedures"));
            written.merge(patient, 1, Integer::sum);
        }
        // None of the training (or validation) patients; every encounter of each test patient.
        assertThat(written.keySet()).isNotEmpty().allSatisfy(patient ->
                assertThat(split.partOf("uci-" + (100_000 + patient))).as("part of patient %d", patient)
                        .isEqualTo(PatientSplit.Part.TEST));
        written.forEach((patient, count) -> assertThat(count).as("encounters of patient %d", patient)
                .isEqualTo(encounters.get(patient)));

        Matcher overall = Pattern.compile("(?m)^overall\\s+(\\d+)\\s+(\\d+)\\s").matcher(out.toString());
        assertThat(overall.find()).as(out.toString()).isTrue();
        assertThat(rows).hasSize(Integer.parseInt(overall.group(1)));
        assertThat(rows.stream().filter(r -> r.get("outcome").equals("1")).count())
                .isEqualTo(Long.parseLong(overall.group(2)));
    }

    @Test
    void theEvaluationDatasetGoesWhereEvaluationOutSaysAndNeedsADataFile() throws Exception {
        writeUciFile(dir.resolve("diabetic_data.csv"), 400);
        Path evaluation = dir.resolve("gates").resolve("held-out.csv");
        int exit = run("readmission", "--data", dir.resolve("diabetic_data.csv").toString(), "--rounds", "10",
                "--out", dir.resolve("r.zip").toString(), "--evaluation-out", evaluation.toString());
        assertThat(exit).as(err.toString()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(evaluation.getParent())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(evaluation))).isEqualTo("rw-------");
        assertThat(dir.resolve("r-evaluation.csv")).doesNotExist();

        assertThat(run("readmission", "--rows", "500", "--evaluation-out", evaluation.toString()))
                .isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("--evaluation-out needs --data", "vigil datasets generate readmission");
    }

    /**
     * Writes {@code patients} patients' encounters in the UCI file's format, with its code table beside it, and
     * returns how many encounters each patient has. Patient {@code p} is {@code patient_nbr} 100000 + p, and each of
     * its encounters carries p in num_lab_procedures (p mod 500) and num_medications (p / 500).
     */
    private static Map<Integer, Integer> writeUciFile(Path file, int patients) throws Exception {
        Files.writeString(file.resolveSibling("IDs_mapping.csv"), """
                admission_type_id,description
                1,Emergency
                2,Urgent
                3,Elective
                ,
                discharge_disposition_id,description
                1,Discharged to home
                3,Discharged/transferred to SNF
                6,Discharged/transferred to home with home health service
                11,Expired
                ,
                admission_source_id,description
                1, Physician Referral
                7, Emergency Room
                """);
        List<String> drugs = List.of("metformin", "repaglinide", "nateglinide", "chlorpropamide", "glimepiride",
                "acetohexamide", "glipizide", "glyburide", "tolbutamide", "pioglitazone", "rosiglitazone", "acarbose",
                "miglitol", "troglitazone", "tolazamide", "examide", "citoglipton", "glyburide-metformin",
                "glipizide-metformin", "glimepiride-pioglitazone", "metformin-rosiglitazone", "metformin-pioglitazone");
        Random random = new Random(3);
        Map<Integer, Integer> encounters = new HashMap<>();
        List<Map<String, String>> rows = new ArrayList<>();
        for (int p = 0; p < patients; p++) {
            int n = 1 + random.nextInt(3);
            encounters.put(p, n);
            String race = List.of("Caucasian", "AfricanAmerican", "Hispanic", "?").get(random.nextInt(4));
            String gender = random.nextInt(2) == 0 ? "Female" : "Male";
            int decade = 3 + random.nextInt(6);
            String age = "[" + decade * 10 + "-" + (decade + 1) * 10 + ")";
            for (int e = 0; e < n; e++) {
                int inpatient = random.nextInt(4);
                Map<String, String> r = new LinkedHashMap<>();
                r.put("encounter_id", String.valueOf(rows.size() + 1));
                r.put("patient_nbr", String.valueOf(100_000 + p));
                r.put("race", race);
                r.put("gender", gender);
                r.put("age", age);
                r.put("weight", "?");
                r.put("admission_type_id", String.valueOf(1 + random.nextInt(3)));
                r.put("discharge_disposition_id", List.of("1", "3", "6").get(random.nextInt(3)));
                r.put("admission_source_id", random.nextBoolean() ? "1" : "7");
                r.put("time_in_hospital", String.valueOf(1 + random.nextInt(14)));
                r.put("payer_code", "?");
                r.put("medical_specialty", "?");
                r.put("num_lab_procedures", String.valueOf(p % 500));
                r.put("num_procedures", String.valueOf(random.nextInt(4)));
                r.put("num_medications", String.valueOf(p / 500));
                r.put("number_outpatient", String.valueOf(random.nextInt(3)));
                r.put("number_emergency", String.valueOf(random.nextInt(2)));
                r.put("number_inpatient", String.valueOf(inpatient));
                r.put("diag_1", List.of("428", "8", "V45", "250.01").get(random.nextInt(4)));
                r.put("diag_2", "250.01");
                r.put("diag_3", "?");
                r.put("number_diagnoses", String.valueOf(1 + random.nextInt(9)));
                r.put("max_glu_serum", "None");
                r.put("A1Cresult", List.of("None", ">8").get(random.nextInt(2)));
                drugs.forEach(d -> r.put(d, "No"));
                r.put("insulin", List.of("No", "Up", "Steady", "Down").get(random.nextInt(4)));
                r.put("change", random.nextBoolean() ? "Ch" : "No");
                r.put("diabetesMed", random.nextBoolean() ? "Yes" : "No");
                r.put("readmitted", random.nextDouble() < 0.1 + 0.1 * inpatient ? "<30" : random.nextBoolean() ? ">30" : "NO");
                rows.add(r);
            }
        }
        StringBuilder csv = new StringBuilder(String.join(",", rows.get(0).keySet())).append('\n');
        rows.forEach(r -> csv.append(String.join(",", r.values())).append('\n'));
        Files.writeString(file, csv);
        return encounters;
    }
}
