package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil models upload} and {@code vigil datasets register} against a platform on loopback: the file reaches it
 * whole inside the JSON body it expects, and a file the route could never take is refused before anything is sent.
 */
class FileUploadTest {
    /** The longest text the platform reads in a JSON body, as api.md gives it under MALFORMED_JSON. */
    private static final long LONGEST_TEXT = 20_000_000;
    /** The largest package whose base64 (four characters for three bytes) is no longer than that. */
    private static final long LARGEST_PACKAGE = 15_000_000;

    private final Server server = new Server();
    /** Each request the server received: its method and path, Content-Length, Transfer-Encoding and body. */
    private final List<Received> received = new CopyOnWriteArrayList<>();

    @TempDir
    Path home;

    private URI base;

    private record Received(String request, String contentLength, String transferEncoding, byte[] body) {
        JsonNode json() {
            return Json.readTree("the request", body);
        }
    }

    @BeforeEach
    void aPlatformThatRegistersWhatItIsSent() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"data-scientist\", \"key\": \"k-ds\","
                + " \"roles\": [\"Models.Upload\"]}, {\"id\": \"data-steward\", \"key\": \"k-steward\","
                + " \"roles\": [\"Datasets.Register\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body;
                try (var in = Content.Source.asInputStream(request)) {
                    body = in.readAllBytes();
                }
                received.add(new Received(request.getMethod() + " " + request.getHttpURI().getPathQuery(),
                        request.getHeaders().get(HttpHeader.CONTENT_LENGTH),
                        request.getHeaders().get(HttpHeader.TRANSFER_ENCODING), body));
                if (request.getHttpURI().getPath().equals("/datasets")) {
                    LoopbackServer.answer(response, callback, 201, "{\"model\": \"readmission\", \"sha256\": \"ab\","
                            + " \"rows\": 2, \"positives\": 1, \"label\": \"outcome\", \"registeredBy\": \"steward\","
                            + " \"registeredAt\": \"2026-12-01T10:00:00Z\"}");
                } else {
                    LoopbackServer.answer(response, callback, 201, "{\"kind\": \"REGISTERED\", \"version\":"
                            + " {\"modelName\": \"readmission\", \"version\": 3, \"registeredBy\": \"ds\"}}");
                }
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    /** A package of an odd length (its base64 ends in padding), as the route decodes it: its own bytes, one request. */
    @Test
    void aPackageReachesThePlatformAsTheBase64OfItsBytesInOneFixedLengthRequest() throws Exception {
        byte[] zip = new byte[1_000_001];
        new Random(7).nextBytes(zip);
        Path file = Files.write(home.resolve("readmission-3.zip"), zip);

        CommandRun run = CommandRun.at(base, home, "models", "upload", file.toString(), "--model", "readmission");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("registered readmission version 3");
        assertThat(received).hasSize(1);
        Received upload = received.get(0);
        assertThat(upload.request()).isEqualTo("POST /models/readmission/packages");
        assertThat(upload.transferEncoding()).isNull();
        assertThat(upload.contentLength()).isEqualTo(String.valueOf(upload.body().length));
        JsonNode body = upload.json();
        assertThat(body.path("fileName").asText()).isEqualTo("readmission-3.zip");
        assertThat(Base64.getDecoder().decode(body.path("packageBase64").asText())).isEqualTo(zip);
        assertThat(body.size()).isEqualTo(2);
    }

    /**
     * A package whose base64 would be longer than the longest text the platform reads can never be uploaded, whatever
     * its body limit: refused with what to do instead, and nothing is sent (a file of gigabytes was read whole and
     * ran the command out of memory).
     */
    @Test
    void aPackageNoPlatformCanTakeIsRefusedBeforeAnythingIsSent() throws Exception {
        Path file = home.resolve("huge.zip");
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(LARGEST_PACKAGE + 1);
        }

        CommandRun run = CommandRun.at(base, home, "models", "upload", file.toString(), "--model", "readmission");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("vigil: '" + file + "' is " + (LARGEST_PACKAGE + 1) + " bytes; an"
                + " upload takes a package of at most " + LARGEST_PACKAGE + " bytes")
                .contains("VIGIL_MAX_BODY_BYTES", "put a larger package into the models container").hasLineCount(1);
        assertThat(received).isEmpty();

        // One byte less is within the limit: sent, its base64 exactly the longest text.
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(LARGEST_PACKAGE);
        }
        CommandRun largest = CommandRun.at(base, home, "models", "upload", file.toString(), "--model", "readmission");
        assertThat(largest.exit()).as(largest.err()).isZero();
        assertThat(received).hasSize(1);
        assertThat(received.get(0).json().path("packageBase64").asText()).hasSize((int) LONGEST_TEXT);
    }

    /**
     * The CSV reaches the platform as its own text beside the other fields: quotes, backslashes, tabs, CRLF, accents
     * and characters outside the BMP (some across the writer's buffers) as they are in the file.
     */
    @Test
    void aDatasetReachesThePlatformAsItsOwnTextInOneFixedLengthRequest() throws Exception {
        StringBuilder csv = new StringBuilder("\uFEFFage,outcome,note\r\n");
        for (int row = 0; csv.length() < 100_000; row++) {
            csv.append(row % 90).append(',').append(row % 2).append(",\"caf\u00e9 \\ \"\"x\"\"\t\uD83D\uDE00\"\r\n");
        }
        Path file = Files.writeString(home.resolve("evaluation.csv"), csv, StandardCharsets.UTF_8);

        CommandRun run = CommandRun.at(base, home, "datasets", "register", file.toString(), "--model", "readmission",
                "--label", "outcome", "--age-column", "age", "--segment", "note");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(received).hasSize(1);
        Received registration = received.get(0);
        assertThat(registration.request()).isEqualTo("POST /datasets");
        assertThat(registration.transferEncoding()).isNull();
        assertThat(registration.contentLength()).isEqualTo(String.valueOf(registration.body().length));
        JsonNode body = registration.json();
        assertThat(body.path("csv").asText()).isEqualTo(csv.toString());
        assertThat(body.path("model").asText()).isEqualTo("readmission");
        assertThat(body.path("fileName").asText()).isEqualTo("evaluation.csv");
        assertThat(body.path("label").asText()).isEqualTo("outcome");
        assertThat(body.path("ageColumn").asText()).isEqualTo("age");
        assertThat(body.has("sexColumn")).isFalse();
        assertThat(body.path("segments").toString()).isEqualTo("[\"note\"]");
    }

    /** Longer than the longest text the platform reads: refused once that much is read, before anything is sent. */
    @Test
    void aDatasetNoPlatformCanTakeIsRefusedBeforeAnythingIsSent() throws Exception {
        Path file = home.resolve("everything.csv");
        byte[] line = "70,1\n".getBytes(StandardCharsets.US_ASCII);
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
            for (long written = 0; written <= LONGEST_TEXT; written += line.length) {
                out.write(line);
            }
        }

        CommandRun run = CommandRun.at(base, home, "datasets", "register", file.toString(), "--model", "readmission",
                "--label", "outcome");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("vigil: the dataset file holds more than " + LONGEST_TEXT
                + " characters, the longest text the platform reads in a request").contains("VIGIL_MAX_BODY_BYTES",
                "register a smaller sample of its rows").doesNotContain("70,1").hasLineCount(1);
        assertThat(received).isEmpty();
    }

    /**
     * Files larger than the command's heap are sent whole by a {@code vigil} with a heap of 16 MiB: read into the
     * request as it is written, never held in memory (read whole, each took about four copies of itself, and the
     * command failed with OutOfMemoryError).
     */
    @Test
    void filesLargerThanTheCommandsHeapAreSentWhole() throws Exception {
        int packageSize = 6 * 1024 * 1024;
        Path zip = home.resolve("package.zip");
        try (RandomAccessFile sparse = new RandomAccessFile(zip.toFile(), "rw")) {
            sparse.setLength(packageSize);
        }
        Path csv = home.resolve("evaluation.csv");
        byte[] line = "70,1\n".getBytes(StandardCharsets.US_ASCII);
        long size = 0;
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(csv))) {
            for (; size < 8 * 1024 * 1024; size += line.length) {
                out.write(line);
            }
        }

        vigilWithASmallHeap("models", "upload", zip.toString(), "--model", "readmission");
        vigilWithASmallHeap("datasets", "register", csv.toString(), "--model", "readmission", "--label", "outcome");

        assertThat(received).hasSize(2);
        assertThat(Base64.getDecoder().decode(received.get(0).json().path("packageBase64").asText()))
                .hasSize(packageSize).containsOnly((byte) 0);
        String text = received.get(1).json().path("csv").asText();
        assertThat(text).hasSize((int) size).startsWith("70,1\n70,1\n").endsWith("70,1\n");
    }

    /** Runs {@code vigil args} in a JVM of its own with a 16 MiB heap against the test's server: it must exit 0. */
    private void vigilWithASmallHeap(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-Xmx16m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        command.addAll(List.of("--home", home.toString(), "--url", base.toString()));
        Path log = home.resolve("vigil.log");
        Process vigil = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(vigil.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("vigil ended").isTrue();
            assertThat(vigil.exitValue()).as(Files.readString(log)).isZero();
        } finally {
            vigil.destroyForcibly();
        }
    }

    /** Bytes that are not UTF-8 are refused as the file is read, not sent replaced. */
    @Test
    void aDatasetNotInUtf8IsRefusedBeforeAnythingIsSent() throws Exception {
        Path file = Files.write(home.resolve("latin1.csv"), "age,outcome,city\n70,1,M\u00fcnchen\n"
                .getBytes(StandardCharsets.ISO_8859_1));

        CommandRun run = CommandRun.at(base, home, "datasets", "register", file.toString(), "--model", "readmission",
                "--label", "outcome");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("vigil: the dataset file is not UTF-8 text; save it as UTF-8")
                .doesNotContain("nchen").hasLineCount(1);
        assertThat(received).isEmpty();
    }
}
