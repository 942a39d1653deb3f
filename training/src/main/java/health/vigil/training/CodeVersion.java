package health.vigil.training;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The commit the training code came from and whether the work tree had uncommitted changes, asked of git
 * in the given directory. Outside a git work tree (an installed CLI) the commit is "unknown" and the
 * dirty flag is absent rather than guessed.
 */
public record CodeVersion(String commit, Boolean dirty) {
    public static final String UNKNOWN = "unknown";

    public static CodeVersion detect(Path directory) {
        String commit = git(directory, "rev-parse", "HEAD");
        if (commit == null || !commit.matches("[0-9a-f]{40}")) {
            return new CodeVersion(UNKNOWN, null);
        }
        String status = git(directory, "status", "--porcelain", "--untracked-files=no");
        return new CodeVersion(commit, status == null ? null : !status.isEmpty());
    }

    private static String git(Path directory, String... arguments) {
        List<String> command = new java.util.ArrayList<>(List.of("git", "-C", directory.toString()));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return null;
            }
            return process.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
