package health.vigil.cli;

import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.text.Words;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.CodeVersion;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.ModelTraining;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.eval.EvaluationReport;
import health.vigil.training.eval.SegmentMetrics;
import health.vigil.training.export.ModelPackager;
import health.vigil.training.export.ModelPackager.WrittenPackage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vigil train <model>}: trains one of the clinical models on a data file (or on seeded synthetic data),
 * evaluates it on a patient-grouped split, exports it to ONNX and writes its model package, showing a progress
 * bar while it works and a one-screen summary of the metrics when done. Trained on a data file, it also writes the
 * test part's patients as the evaluation dataset the platform's gates judge on, with the command that registers it.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a clinical model (readmission, adherence or complications) and write its model package.")
public final class TrainCommand implements Callable<Integer> {
    static final int EXIT_BAD_INPUT = 2;
    static final int EXIT_FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<model>", description = "readmission, adherence or complications")
    String model;

    @Option(names = "--data", paramLabel = "FILE", description = "The model's real data (see docs/models.md);"
            + " without it, seeded synthetic data is generated")
    Path data;

    @Option(names = "--out", paramLabel = "PACKAGE", description = "Where to write the package zip (default: <model>.zip)")
    Path out;

    @Option(names = "--evaluation-out", paramLabel = "FILE", description = "With --data: where to write the held-out"
            + " test patients as an evaluation dataset, owner-only (default: next to the package, <package>-evaluation.csv)")
    Path evaluationOut;

    @Option(names = "--algorithm", defaultValue = "gbt", paramLabel = "gbt|logistic",
            description = "Gradient-boosted trees (default) or the interpretable logistic regression")
    String algorithm;

    @Option(names = "--rows", defaultValue = "20000", description = "Synthetic rows when no --data is given (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--seed", description = "Seed of the split, the sampling and synthetic data (default: "
            + TrainingSettings.DEFAULT_SEED + ")")
    Long seed;

    @Option(names = "--rounds", description = "Boosting rounds (default: 300)")
    Integer rounds;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outWriter = spec.commandLine().getOut();
        try {
            ClinicalModel clinical = ClinicalModel.of(model);
            TrainingSettings settings = settings();
            if (data == null && (rows < 100 || rows > DatasetsCommand.Generate.MAX_ROWS)) {
                throw new health.vigil.error.ValidationException("--rows is " + rows + "; train on 100 to "
                        + DatasetsCommand.Generate.MAX_ROWS + " synthetic rows");
            }
            Path packageFile = out == null ? Path.of(clinical + ".zip") : out;
            Path evaluationFile = data == null ? null
                    : evaluationOut == null ? besidePackage(packageFile) : evaluationOut;
            // Each file written replaces what is there: one of them being the data, or both the same file, would
            // leave the data replaced by a package or the test part, or the package by the test part.
            refuseTheSameFile(data, "--data", packageFile, "--out");
            refuseTheSameFile(data, "--data", evaluationFile, "--evaluation-out");
            refuseTheSameFile(packageFile, "--out", evaluationFile, "--evaluation-out");
            for (Path written : new Path[] {packageFile, evaluationFile}) {
                if (written != null && Files.isDirectory(written)) {
                    // Found before training rather than after it, when the package would be written.
                    throw new health.vigil.error.ValidationException(written.getFileName() + " is a folder; give the"
                            + " file's own name to write");
                }
            }
            if (data == null && evaluationOut != null) {
                throw new health.vigil.error.ValidationException("--evaluation-out needs --data: held-out rows of"
                        + " synthetic data come from vigil datasets generate " + clinical + " --seed " + settings.seed());
            }
            ProgressBar progress = new ProgressBar(err, System.console() != null);
            progress.stage(data == null ? "generating synthetic " + clinical + " data" : "loading " + data.getFileName(), 0);
            Dataset dataset = data == null ? clinical.synthetic(rows, settings.seed()).dataset() : clinical.load(data);
            ModelTraining training = new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC());
            TrainedModel trained = training.train(clinical, dataset, settings, progress);
            progress.stage("exporting to ONNX and packaging", 0);
            byte[] onnx = ModelPackager.onnx(trained);
            WrittenPackage written = ModelPackager.write(trained, onnx, packageFile);
            Path trainingFile = data == null ? writeTrainingDataset(clinical, dataset, written.path()) : null;
            HeldOutEvaluationData heldOut = null;
            Path heldOutFile = null;
            if (data != null) {
                progress.stage("writing the test patients as an evaluation dataset", 0);
                heldOut = HeldOutEvaluationData.testPart(clinical, dataset, settings.seed());
                heldOutFile = heldOut.write(evaluationOut == null ? besidePackage(written.path()) : evaluationOut);
            }
            progress.done();
            summary(outWriter, trained, dataset, written);
            if (trainingFile != null) {
                String blob = DatasetFile.blobName(dataset.sha256());
                outWriter.printf("training  %s: the training data in Vigil's dataset file format; retraining reads it from"
                        + " the platform's datasets container as %s, so put it there before the monitoring asks for"
                        + " retraining (a local platform: cp %s .vigil/blobs/datasets/%s, in its --home)%n",
                        trainingFile, blob, trainingFile, blob);
                outWriter.flush();
            }
            if (heldOut != null) {
                outWriter.printf("held out  %s: the %,d test rows (%,d positive) as an evaluation dataset, owner-only%n",
                        heldOutFile, heldOut.rows(), heldOut.positives());
                outWriter.printf("register  %s%n", DatasetsCommand.registerCommand(heldOutFile, heldOut));
                outWriter.flush();
            }
            return 0;
        } catch (VigilException e) {
            err.println("vigil train: " + e.getMessage());
            err.flush();
            return e.code().isClientError() ? EXIT_BAD_INPUT : EXIT_FAILURE;
        } catch (java.io.UncheckedIOException e) {
            err.println("vigil train: " + e.getMessage() + " (" + e.getCause().getClass().getSimpleName() + ")");
            err.flush();
            return EXIT_FAILURE;
        }
    }

    /** {@code readmission.zip} gives {@code readmission-evaluation.csv} in the same folder. */
    /** Refuses two of the command's files that are one file (by path, or by identity when both exist). */
    private static void refuseTheSameFile(Path a, String aOption, Path b, String bOption) {
        if (a == null || b == null) {
            return;
        }
        boolean same = a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        if (!same && Files.exists(a) && Files.exists(b)) {
            try {
                same = Files.isSameFile(a, b);
            } catch (java.io.IOException e) {
                same = false; // unreadable: the write that follows reports it
            }
        }
        if (same) {
            throw new health.vigil.error.ValidationException(aOption + " and " + bOption + " name the same file ("
                    + a.getFileName() + "); writing one would replace the other: give " + bOption + " another path");
        }
    }

    static Path besidePackage(Path packageFile) {
        return besidePackage(packageFile, "-evaluation.csv");
    }

    private static Path besidePackage(Path packageFile, String suffix) {
        String name = packageFile.getFileName().toString();
        String stem = name.toLowerCase(Locale.ROOT).endsWith(".zip") ? name.substring(0, name.length() - 4) : name;
        return packageFile.resolveSibling(stem + suffix);
    }

    /**
     * Writes generated training data beside the package as {@code <package>-training.tsv}, the dataset file retraining
     * reads by the sha256 the package's provenance names. Data generated as a source file (the adherence and
     * complications cohorts) is named by that file's sha256, which no dataset file has: retraining refuses such a
     * model, so nothing is written and null is returned.
     */
    private static Path writeTrainingDataset(ClinicalModel clinical, Dataset dataset, Path packageFile) {
        byte[] file = DatasetFile.bytes(clinical.pipeline().rawSchema(), dataset);
        if (!Sha256.hex(file).equals(dataset.sha256())) {
            return null;
        }
        Path written = besidePackage(packageFile, "-training.tsv");
        try {
            return OwnerOnlyFiles.replace(written, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the training dataset " + written, e);
        }
    }

    private TrainingSettings settings() {
        TrainingSettings settings = TrainingSettings.defaults();
        Algorithm chosen = switch (algorithm.toLowerCase(Locale.ROOT)) {
            case "gbt" -> Algorithm.GBT;
            case "logistic" -> Algorithm.LOGISTIC;
            default -> throw new health.vigil.error.ValidationException("--algorithm is '" + algorithm
                    + "'; use gbt or logistic");
        };
        settings = settings.withAlgorithm(chosen);
        if (seed != null) {
            settings = settings.withSeed(seed);
        }
        if (rounds != null) {
            if (rounds < 1) {
                throw new health.vigil.error.ValidationException("--rounds is " + rounds + "; it must be at least 1");
            }
            settings = settings.withGbt(settings.gbt().withRounds(rounds));
        }
        return settings;
    }

    static void summary(PrintWriter out, TrainedModel trained, Dataset data, WrittenPackage written) {
        EvaluationReport e = trained.evaluation();
        var provenance = trained.manifest().provenance();
        var p = provenance.parameters();
        out.printf("%s: %s, seed %d%n", trained.model(), trained.algorithm().description(), provenance.seed());
        out.printf("data      %s%n", data.source());
        out.printf("          %,d rows, %,d positive (%.1f %%), sha256 %s%s%n", data.size(), data.positives(),
                100.0 * data.positives() / data.size(), data.sha256().substring(0, 16) + "...",
                data.dateRange() == null ? "" : ", " + data.dateRange());
        for (String note : data.notes()) {
            out.printf("          %s%n", note);
        }
        out.printf("split     %s: train %s / validation %s / test %s rows%n", e.split(), p.get("rows.train"),
                p.get("rows.validation"), p.get("rows.test"));
        out.printf("features  %s: %d model columns from %d raw fields%n", trained.manifest().featurePipeline(),
                trained.reference().features().size(), trained.manifest().features().size());
        out.printf("threshold %.4f (%s)%n%n", e.threshold(), e.thresholdRule());
        out.printf("%-12s %7s %6s %6s %6s %6s %6s %7s %9s %8s%n", "test", "rows", "pos", "AUROC", "PR-AUC",
                "Brier", "ECE", "recall", "precision", "flagged");
        row(out, "overall", e.test());
        for (SegmentMetrics s : e.testByAgeGroup()) {
            row(out, "age " + s.segment(), s);
        }
        for (SegmentMetrics s : e.testBySex()) {
            row(out, "sex " + s.segment(), s);
        }
        row(out, "(validation)", e.validation());
        out.printf("%npackage   %s (%,d bytes, sha256 %s...)%n", written.path(), written.packageBytes(),
                written.packageSha256().substring(0, 16));
        out.printf("model     model.onnx %,d bytes, sha256 %s...; code %s%s%n", written.modelBytes(),
                written.modelSha256().substring(0, 16), provenance.codeCommit().length() > 12
                        ? provenance.codeCommit().substring(0, 12) : provenance.codeCommit(),
                Boolean.TRUE.equals(provenance.codeDirty()) ? " (uncommitted changes)" : "");
        out.flush();
    }

    private static void row(PrintWriter out, String label, SegmentMetrics s) {
        out.printf("%-12s %7d %6d %6s %6s %6s %6s %7s %9s %8s%n", label, s.rows(), s.positives(), f(s.auroc()),
                f(s.prAuc()), f(s.brier()), f(s.expectedCalibrationError()), f(s.recall()), f(s.precision()),
                f(s.flaggedRate()));
    }

    private static String f(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** A one-line progress bar on a terminal; plain stage lines otherwise (logs, CI). */
    static final class ProgressBar implements TrainingProgress {
        private static final int WIDTH = 30;
        private final PrintWriter err;
        private final boolean terminal;
        private String stage = "";
        private long total;
        private int lastDrawn = -1;

        ProgressBar(PrintWriter err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public void stage(String name, long steps) {
            finishLine();
            stage = name;
            total = steps;
            lastDrawn = -1;
            if (terminal) {
                draw(0);
            } else {
                err.println("vigil train: " + name + (steps > 0 ? " (" + Words.count(steps, "step") + ")" : ""));
                err.flush();
            }
        }

        @Override
        public void step(long done) {
            if (terminal) {
                draw(done);
            }
        }

        private void draw(long done) {
            int filled = total > 0 ? (int) Math.min(WIDTH, done * WIDTH / total) : 0;
            if (filled == lastDrawn && done != total) {
                return;
            }
            lastDrawn = filled;
            String bar = total > 0 ? "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total + " "
                    : "[" + "~".repeat(WIDTH) + "] ";
            err.print("\r" + bar + stage + "   ");
            err.flush();
        }

        private void finishLine() {
            if (terminal && !stage.isEmpty()) {
                err.print("\r" + " ".repeat(WIDTH + stage.length() + 20) + "\r");
                err.flush();
            }
        }

        void done() {
            finishLine();
            stage = "";
        }
    }
}
