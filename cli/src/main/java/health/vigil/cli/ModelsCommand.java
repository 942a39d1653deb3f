package health.vigil.cli;

import health.vigil.error.ValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.port.ArtifactStore;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vigil models ...}: what a data scientist does with model packages locally. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "Work with model packages.",
        subcommands = {ModelsCommand.Upload.class})
final class ModelsCommand {

    /** Puts a package into the local models container; registration starts from its BlobCreated event. */
    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = "Upload a model package (zip) to the local models container; a running 'vigil up' registers it.")
    static final class Upload implements Callable<Integer> {
        @Parameters(index = "0", description = "The package zip")
        Path file;

        @Option(names = "--home", defaultValue = ".vigil", description = "Vigil home (default: ${DEFAULT-VALUE})")
        Path home;

        @Option(names = "--name", description = "Blob name (default: the file name)")
        String name;

        @Override
        public Integer call() throws IOException {
            Path blob = upload(home, file, name == null ? file.getFileName().toString() : name);
            System.out.println("uploaded " + file + " as " + blob);
            return 0;
        }
    }

    /**
     * Stores a package in the local models container through the same artifact store the platform uses: it
     * is staged and moved in atomically (the drop folder never sees a partial file), and an existing package
     * is never replaced.
     */
    static Path upload(Path home, Path file, String blobName) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ValidationException("'" + file + "' is not a file: give the path of a model package zip");
        }
        try (InputStream in = Files.newInputStream(file)) {
            LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT).artifactStore()
                    .put(ArtifactStore.MODELS, blobName, in, false);
        }
        return LocalAdapters.blobFolder(home, ArtifactStore.MODELS).resolve(blobName);
    }
}
