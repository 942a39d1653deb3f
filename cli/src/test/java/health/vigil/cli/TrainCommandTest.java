package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.features.FeaturePipelines;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ZipModelPackageReader;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void aFolderGivenAsTheDataIsCalledOneWithWhatToGiveInstead() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("cohort"));
        assertThat(run("complications", "--data", folder.toString())).isEqualTo(TrainCommand.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("is a folder, not a file: cohort", "give the path of the CSV file")
                .doesNotContain("could not be read");
    }
}
