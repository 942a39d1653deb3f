package health.vigil.modelpackage;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import health.vigil.config.VigilConfig;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.Printable;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.model.FeatureSchema;
import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile;
import health.vigil.port.ModelRuntime;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Reads a model package from a stream and accepts it only when every check passes: a zip within the size,
 * inflation and entry-count limits, with exactly {@code manifest.json}, {@code model.onnx} and
 * {@code reference.json} under safe names; a valid manifest and reference profile; an ONNX model that ONNX
 * Runtime loads, with no external data or custom operators, whose input and output fit the manifest.
 *
 * <p>The stream is read once, into a private temporary file, computing the package's sha256 and size on the way
 * and stopping at the size limit. Inflated bytes are counted as they come out of the inflater (entry headers can
 * lie), against each entry's own cap and the package's limit; the entries are taken by the central directory and
 * must agree with the local headers. Memory holds only the entries, each within its cap.
 */
public final class ZipModelPackageReader implements ModelPackageReader {
    private static final Set<String> ENTRIES = PackageEntries.REQUIRED;
    private static final Set<String> OPTIONAL_ENTRIES = PackageEntries.OPTIONAL;
    private static final byte[] LOCAL_HEADER = {'P', 'K', 3, 4};
    private static final byte[] EMPTY_ZIP = {'P', 'K', 5, 6};
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

    private final ModelRuntime runtime;
    private final VigilConfig.Limits limits;
    private final Function<String, Optional<Integer>> pipelineWidth;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final ReferenceCheck referenceCheck;

    /**
     * Reads a package's reference profile as production monitoring will, against the model's input columns (the
     * feature pipeline's), and throws when it could not be used there. Given by the composition root, which owns
     * the drift check.
     */
    @FunctionalInterface
    public interface ReferenceCheck {
        void check(Manifest manifest, List<String> inputColumns, ReferenceProfile reference);
    }

    /** A reader that accepts only the {@code identity} feature pipeline, and proves a probe row scores. */
    public ZipModelPackageReader(ModelRuntime runtime, VigilConfig.Limits limits) {
        this(runtime, limits, id -> Optional.empty(), FeaturePipelines.identityOnly());
    }

    /**
     * The reader registration uses: the package's pipeline is found the way scoring finds it, its name must
     * belong to the pipeline's model family, and a probe row must go through the pipeline and the loaded model
     * and come out a probability, so that nothing registers that could not be served.
     */
    public ZipModelPackageReader(ModelRuntime runtime, VigilConfig.Limits limits,
            Function<String, Optional<Integer>> pipelineWidth, Function<Manifest, FeaturePipeline> pipelines) {
        this(runtime, limits, pipelineWidth, pipelines, (manifest, columns, reference) -> { });
    }

    /**
     * The reader registration uses, which also refuses a reference profile that {@code referenceCheck} (the drift
     * check's own reading of it) cannot use: such a package would register, pass its gates and be approved, and
     * then fail every monitoring run of the deployed version.
     */
    public ZipModelPackageReader(ModelRuntime runtime, VigilConfig.Limits limits,
            Function<String, Optional<Integer>> pipelineWidth, Function<Manifest, FeaturePipeline> pipelines,
            ReferenceCheck referenceCheck) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.pipelineWidth = Objects.requireNonNull(pipelineWidth, "pipelineWidth");
        this.pipelines = pipelines;
        this.referenceCheck = Objects.requireNonNull(referenceCheck, "referenceCheck");
    }

    /**
     * @param pipelineWidth the number of model inputs of a feature pipeline other than {@code identity}, by
     *     its id, or empty when this Vigil does not know the pipeline
     */
    public ZipModelPackageReader(ModelRuntime runtime, VigilConfig.Limits limits,
            Function<String, Optional<Integer>> pipelineWidth) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.pipelineWidth = Objects.requireNonNull(pipelineWidth, "pipelineWidth");
        this.pipelines = null;
        this.referenceCheck = (manifest, columns, reference) -> { };
    }

    @Override
    public ModelPackage read(InputStream zip) {
        if (zip == null) {
            throw new ValidationException("no package was given");
        }
        CountingInput counted = new CountingInput(zip, limits.maxPackageBytes());
        Map<String, byte[]> entries = readEntries(counted);
        Manifest manifest = parseManifest(entries.get(PackageEntries.MANIFEST));
        ReferenceProfile reference = parseReference(entries.get(PackageEntries.REFERENCE));
        if (Manifest.IDENTITY_PIPELINE.equals(manifest.featurePipeline())) {
            // A registered pipeline's reference profiles its model columns, which only the pipeline knows.
            checkReferenceFeatures(reference, manifest.features());
        }
        checkEvaluation(entries.get(PackageEntries.EVALUATION));
        int width = width(manifest);
        byte[] model = entries.get(PackageEntries.MODEL);
        ModelRuntime.Signature signature = runtime.inspect(model);
        checkSignature(signature, manifest, width);
        if (pipelines != null) {
            proveServable(manifest, model, width, reference);
        }
        return new ModelPackage(manifest, model, reference, Sha256.hex(counted.digest), Sha256.hex(model),
                counted.count, signature);
    }

    /**
     * The largest each JSON entry may inflate to: a document has no business being hundreds of megabytes, and
     * a cap per entry makes an oversized one fail as soon as its bytes pass the cap. {@code model.onnx} may use
     * what is left of the package's inflation limit.
     */
    static final Map<String, Long> ENTRY_CAPS = Map.of(
            PackageEntries.MANIFEST, 1L << 20,
            PackageEntries.REFERENCE, 16L << 20,
            PackageEntries.EVALUATION, 4L << 20);

    /**
     * An entry as its local header and data show it: name, the sha256 and length of what it inflates to. Not its
     * CRC-32: a decoy entry with the same CRC-32 and length as the real one is easy to make.
     */
    private record LocalEntry(String name, byte[] sha256, long size) {}

    /**
     * The entries by name, read by the central directory (what {@code unzip} and every other reader show), after
     * a first pass over the local headers has checked names, counts and sizes within the limits: the two must
     * list the same entries in the same order with the same contents, so what a reviewer inspects is what runs.
     * The package is spooled to a private temporary file, since the central directory is at its end.
     */
    private Map<String, byte[]> readEntries(CountingInput counted) {
        Path spooled = null;
        try {
            spooled = Files.createTempFile("vigil-package-", ".zip"); // 0600 on POSIX file systems
            try (OutputStream out = Files.newOutputStream(spooled)) {
                counted.transferTo(out);
            }
            byte[] head = new byte[4];
            try (InputStream in = Files.newInputStream(spooled)) {
                head = in.readNBytes(4);
            }
            if (Arrays.equals(head, EMPTY_ZIP)) {
                throw new PackageRejectedException(Reason.MISSING_ENTRY, "the package is an empty zip; it must hold "
                        + expectedNames());
            }
            if (!Arrays.equals(head, LOCAL_HEADER)) {
                throw new PackageRejectedException(Reason.NOT_A_ZIP, "the package is not a zip file (it does not start"
                        + " with a zip entry); upload a zip of " + expectedNames());
            }
            List<LocalEntry> local = readLocalHeaders(spooled);
            return readByCentralDirectory(spooled, local);
        } catch (SourceFailure e) {
            throw new StoreException("the package stream could not be read", e.getCause());
        } catch (IOException e) {
            if (e instanceof ZipException && String.valueOf(e.getMessage()).contains("compression method")) {
                // The zip is whole, but an entry is compressed another way than the two the JDK reads.
                throw new PackageRejectedException(Reason.NOT_A_ZIP, "an entry of the package is compressed with a"
                        + " method Vigil does not read (such as LZMA, bzip2 or Zstandard); Vigil reads entries stored or"
                        + " compressed with deflate, the zip format's default: build the zip again with deflate", e);
            }
            throw new PackageRejectedException(Reason.NOT_A_ZIP, "the package is not a readable zip ("
                    + (e instanceof ZipException ? e.getMessage() : "it ends in the middle of an entry")
                    + "); upload a complete zip of " + expectedNames(), e);
        } finally {
            if (spooled != null) {
                try {
                    Files.deleteIfExists(spooled);
                } catch (IOException ignored) {
                    // a temporary file the system cleans up
                }
            }
        }
    }

    /** The local headers in file order, each entry inflated once to count it and take its sha256, never kept. */
    private List<LocalEntry> readLocalHeaders(Path zip) throws IOException {
        List<LocalEntry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            long inflated = 0;
            for (ZipEntry entry; (entry = nextEntry(in)) != null; ) {
                if (entries.size() + 1 > limits.maxPackageEntries()) {
                    throw new PackageRejectedException(Reason.TOO_MANY_ENTRIES, "the package has more than "
                            + limits.maxPackageEntries() + " entries; it must hold exactly " + expectedNames());
                }
                String name = entry.getName();
                checkName(name);
                if (!seen.add(name)) {
                    throw new PackageRejectedException(Reason.DUPLICATE_ENTRY, "the package holds '" + printable(name)
                            + "' twice; each of " + expectedNames() + " must appear once");
                }
                if (!ENTRIES.contains(name) && !OPTIONAL_ENTRIES.contains(name)) {
                    throw new PackageRejectedException(Reason.UNEXPECTED_ENTRY, "the package holds '"
                            + printable(name) + "'; it must hold " + expectedNames() + " at its top level, may hold "
                            + PackageEntries.EVALUATION + ", and nothing else");
                }
                MessageDigest sha = Sha256.newDigest();
                long size = inflate(in, name, limits.maxUncompressedBytes() - inflated, sha::update);
                inflated += size;
                entries.add(new LocalEntry(name, sha.digest(), size));
            }
        }
        List<String> missing = ENTRIES.stream().filter(name -> !seen.contains(name)).sorted().toList();
        if (!missing.isEmpty()) {
            throw new PackageRejectedException(Reason.MISSING_ENTRY, "the package has no " + String.join(", ", missing)
                    + "; it must hold " + expectedNames());
        }
        return entries;
    }

    private Map<String, byte[]> readByCentralDirectory(Path zip, List<LocalEntry> local) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        ZipFile file;
        try {
            file = new ZipFile(zip.toFile(), ZipFile.OPEN_READ, StandardCharsets.UTF_8);
        } catch (ZipException e) {
            throw new PackageRejectedException(Reason.NOT_A_ZIP, "the package has no readable central directory (it"
                    + " was cut short, or is not a zip); upload the complete zip of " + expectedNames(), e);
        }
        try (file) {
            List<? extends ZipEntry> central = file.stream().toList();
            List<String> centralNames = central.stream().map(ZipEntry::getName).toList();
            List<String> localNames = local.stream().map(LocalEntry::name).toList();
            if (!centralNames.equals(localNames)) {
                throw disagree("its central directory lists " + centralNames.size() + " entries and its local headers "
                        + localNames.size() + ", not the same ones in the same order");
            }
            for (int i = 0; i < central.size(); i++) {
                LocalEntry expected = local.get(i);
                // The first pass counted what this entry really inflates to (within its cap): one array of exactly
                // that size holds it, so the peak is the entry itself, not a growing buffer and its final copy.
                byte[] out = new byte[(int) expected.size()];
                int[] filled = {0};
                MessageDigest sha = Sha256.newDigest();
                try (InputStream in = file.getInputStream(central.get(i))) {
                    inflate(in, expected.name(), expected.size(), (b, off, n) -> {
                        sha.update(b, off, n);
                        System.arraycopy(b, off, out, filled[0], n);
                        filled[0] += n;
                    });
                } catch (PackageRejectedException e) {
                    throw disagree("entry " + expected.name() + " is longer by its central directory than by its local header");
                }
                if (filled[0] != expected.size() || !MessageDigest.isEqual(sha.digest(), expected.sha256())) {
                    throw disagree("entry " + expected.name() + " has other contents by its central directory than by"
                            + " its local header");
                }
                entries.put(expected.name(), out);
            }
        }
        return entries;
    }

    private static PackageRejectedException disagree(String what) {
        return new PackageRejectedException(Reason.NOT_A_ZIP, "the package's zip structure is inconsistent: " + what
                + "; zip tools would show other contents than Vigil would run. Build the zip again with a standard tool");
    }

    /** Where inflated bytes go; a chunk at a time. */
    @FunctionalInterface
    private interface Sink {
        void accept(byte[] bytes, int offset, int length);
    }

    private static ZipEntry nextEntry(ZipInputStream in) throws IOException {
        try {
            return in.getNextEntry();
        } catch (IllegalArgumentException e) {
            // ZipInputStream's way of saying an entry name is not valid UTF-8.
            throw new PackageRejectedException(Reason.UNSAFE_ENTRY_NAME, "an entry name of the package is not valid"
                    + " UTF-8; name the entries " + expectedNames(), e);
        }
    }

    /** Names that could escape a folder on extraction, or mean different files on different systems. */
    private static void checkName(String name) {
        boolean unsafe = name.isEmpty()
                || name.startsWith("/")
                || name.contains("\\")
                || name.matches("^[A-Za-z]:.*")
                || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)
                || Arrays.asList(name.split("/", -1)).contains("..");
        if (unsafe) {
            throw new PackageRejectedException(Reason.UNSAFE_ENTRY_NAME, "the package has an entry named '"
                    + printable(name) + "': absolute paths, drive letters, backslashes, '..' and control characters"
                    + " are not allowed; name the entries " + expectedNames());
        }
    }

    /**
     * Streams one entry into {@code sink}, counting what actually comes out of the inflater (headers can lie)
     * against the entry's own cap and what is left of the package's limit; stops at the first byte over either.
     */
    private long inflate(InputStream in, String name, long allowed, Sink sink) throws IOException {
        long cap = Math.min(Math.min(allowed, ENTRY_CAPS.getOrDefault(name, Long.MAX_VALUE)), MAX_ARRAY);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > cap) {
                Long entryCap = ENTRY_CAPS.get(name);
                throw new PackageRejectedException(Reason.TOO_LARGE, entryCap != null && total > entryCap
                        ? name + " inflates to more than " + entryCap + " bytes, the most a " + name + " may hold;"
                                + " make it smaller"
                        : "the package inflates to more than " + limits.maxUncompressedBytes() + " bytes (reached while"
                                + " reading " + name + "); the limit guards against zip bombs: make the model smaller"
                                + " or ask for a higher VIGIL_MAX_UNCOMPRESSED_BYTES");
            }
            sink.accept(buffer, 0, n);
        }
        return total;
    }

    /**
     * Refuses {@code manifest} in the words an upload would: a valid record that upload still does not take, because
     * a text or list is longer than its limit, a category is not a short printable word spelled once, or a text hides
     * or rewrites what it says. For whoever writes a package, so that one the platform would refuse is not written.
     */
    public static void checkManifest(Manifest manifest) {
        checkManifest(manifest, ModelPackageWriter.json(manifest));
    }

    private static void checkManifest(Manifest manifest, byte[] json) {
        ManifestLimits.check(manifest);
        ManifestText.check(Json.readTree("manifest.json", json));
    }

    private static Manifest parseManifest(byte[] bytes) {
        if (isBlank(bytes)) {
            throw new PackageRejectedException(Reason.MALFORMED_MANIFEST, "manifest.json is empty; it must be a JSON"
                    + " object describing the model");
        }
        try {
            Manifest manifest = Json.mapper().readValue(bytes, Manifest.class);
            if (manifest == null) {
                throw new PackageRejectedException(Reason.MALFORMED_MANIFEST, "manifest.json is the JSON literal null;"
                        + " it must be a JSON object describing the model");
            }
            checkManifest(manifest, bytes);
            return manifest;
        } catch (StreamReadException e) {
            throw new PackageRejectedException(Reason.MALFORMED_MANIFEST, jsonProblem("manifest.json", e), e);
        } catch (JsonProcessingException e) {
            throw new PackageRejectedException(Reason.INVALID_MANIFEST, jsonProblem("manifest.json", e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ReferenceProfile parseReference(byte[] bytes) {
        if (isBlank(bytes)) {
            throw new PackageRejectedException(Reason.MALFORMED_REFERENCE, "reference.json is empty; it must hold the"
                    + " training data's profile");
        }
        try {
            ReferenceProfile reference = Json.mapper().readValue(bytes, ReferenceProfile.class);
            if (reference == null) {
                throw new PackageRejectedException(Reason.MALFORMED_REFERENCE, "reference.json is the JSON literal null;"
                        + " it must be a JSON object holding the training data's profile");
            }
            return reference;
        } catch (JsonProcessingException e) {
            throw new PackageRejectedException(Reason.MALFORMED_REFERENCE, jsonProblem("reference.json", e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Json's description (line and column, never the content), with a value of the wrong type named by its
     * field path ({@code features[0].type}) rather than by Java class names.
     */
    private static String jsonProblem(String file, JsonProcessingException e) {
        String message = Json.malformed(file, e).getMessage();
        if (e instanceof JsonMappingException mapping && message.contains("does not have the expected structure")) {
            String path = Json.fieldPath(mapping);
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            return path == null
                    ? file + " must be a JSON object" + where
                    : file + ": field '" + path + "' is missing a required value or has a value of the wrong type" + where;
        }
        return message;
    }

    private static void checkReferenceFeatures(ReferenceProfile reference, FeatureSchema schema) {
        for (ReferenceProfile.FeatureProfile profile : reference.features()) {
            if (schema.indexOf(profile.name()).isEmpty()) {
                // Not one of the schema's names: repeated only when it is a plain name, never a value pasted there.
                throw new PackageRejectedException(Reason.MALFORMED_REFERENCE, "reference.json profiles feature "
                        + Json.quotedName(profile.name()) + ", which the manifest's feature schema does not have;"
                        + " profile only the schema's features " + schema.names());
            }
        }
    }

    private static void checkEvaluation(byte[] bytes) {
        if (bytes == null) {
            return;
        }
        try {
            if (!Json.mapper().readTree(bytes).isObject()) {
                throw new PackageRejectedException(Reason.MALFORMED_EVALUATION, "evaluation.json is not a JSON object;"
                        + " it must hold the trainer's evaluation results, or be left out");
            }
        } catch (IOException e) {
            throw new PackageRejectedException(Reason.MALFORMED_EVALUATION, "evaluation.json is not valid JSON; it must"
                    + " hold the trainer's evaluation results, or be left out", e);
        }
    }

    private int width(Manifest manifest) {
        String pipeline = manifest.featurePipeline();
        if (Manifest.IDENTITY_PIPELINE.equals(pipeline)) {
            return manifest.features().size();
        }
        Optional<Integer> width = pipelineWidth.apply(pipeline);
        if (width.isEmpty() || width.get() < 1) {
            throw new PackageRejectedException(Reason.UNSUPPORTED_FEATURE_PIPELINE, "manifest.featurePipeline is '"
                    + printable(pipeline) + "', which this Vigil does not know; use '" + Manifest.IDENTITY_PIPELINE
                    + "' or the id of a registered feature pipeline");
        }
        return width.get();
    }

    /** Resolves the pipeline as scoring will, checks the model family, and scores one probe row. */
    private void proveServable(Manifest manifest, byte[] model, int width, ReferenceProfile reference) {
        FeaturePipeline pipeline;
        try {
            pipeline = pipelines.apply(manifest);
        } catch (VigilException e) {
            throw new PackageRejectedException(Reason.UNSUPPORTED_FEATURE_PIPELINE, "the package cannot be served: "
                    + e.getMessage(), e);
        }
        if (!Manifest.IDENTITY_PIPELINE.equals(manifest.featurePipeline())) {
            String family = pipeline.id().contains("@") ? pipeline.id().substring(0, pipeline.id().indexOf('@')) : pipeline.id();
            String name = manifest.name().value();
            if (!name.equals(family) && !name.startsWith(family + "-")) {
                throw new PackageRejectedException(Reason.NAME_MISMATCH, "manifest.name is '" + printable(name)
                        + "' but feature pipeline '" + pipeline.id() + "' belongs to the " + family + " model; name the"
                        + " model '" + family + "' (or '" + family + "-<variant>'), or use that model's own pipeline");
            }
        }
        if (pipeline.width() != width) {
            throw mismatch("feature pipeline '" + pipeline.id() + "' gives " + pipeline.width() + " inputs but the"
                    + " package was checked for " + width);
        }
        try {
            referenceCheck.check(manifest, pipeline.columns(), reference);
        } catch (PackageRejectedException e) {
            throw e;
        } catch (VigilException e) {
            throw new PackageRejectedException(Reason.MALFORMED_REFERENCE, "reference.json cannot be used to check the"
                    + " model's inputs for drift: " + e.getMessage(), e);
        }
        float[] row = new float[width];
        try {
            pipeline.transform(ProbeRows.everyFeatureGiven(manifest.features()), row, 0);
        } catch (RuntimeException e) {
            throw new PackageRejectedException(Reason.UNSUPPORTED_FEATURE_PIPELINE, "feature pipeline '"
                    + pipeline.id() + "' cannot turn a row of the manifest's features into model inputs; package the"
                    + " model with the pipeline it was trained with", e);
        }
        double[] risk;
        try (ModelRuntime.LoadedModel loaded = runtime.load(model, Sha256.hex(model), manifest.output().onnxOutput(),
                manifest.output().positiveClassIndex())) {
            risk = loaded.predict(row, 1, PROBE_BUDGET);
        } catch (VigilException e) {
            throw new PackageRejectedException(Reason.ONNX_UNLOADABLE, "model.onnx loads but cannot score a probe row"
                    + " built from the manifest's features (" + e.getMessage() + "); check the model's input and"
                    + " output against the manifest", e);
        }
        if (risk.length != 1 || !(risk[0] >= 0 && risk[0] <= 1)) {
            throw new PackageRejectedException(Reason.ONNX_SCHEMA_MISMATCH, "model.onnx scored a probe row but its"
                    + " output '" + manifest.output().onnxOutput() + "' is not a probability between 0 and 1");
        }
    }

    private static void checkSignature(ModelRuntime.Signature signature, Manifest manifest, int width) {
        String pipeline = manifest.featurePipeline();
        if (signature.inputs().size() != 1) {
            throw mismatch("model.onnx has " + signature.inputs().size() + " inputs; Vigil feeds one float [N, "
                    + width + "] input");
        }
        ModelRuntime.Tensor input = signature.inputs().get(0);
        if (input.isMap() || !"float".equals(input.elementType()) || input.shape().length != 2) {
            throw mismatch("model.onnx input '" + input.name() + "' is " + describe(input) + "; Vigil feeds float [N, "
                    + width + "]");
        }
        long rows = input.shape()[0];
        if (rows >= 0) {
            throw mismatch("model.onnx input '" + input.name() + "' takes a fixed batch of " + rows + " row"
                    + (rows == 1 ? "" : "s") + "; Vigil scores any number of patients in one run (a batch file's chunk,"
                    + " the gates' dataset): export the model with a dynamic first dimension, float [N, " + width + "]");
        }
        long columns = input.shape()[1];
        if (columns >= 0 && columns != width) {
            throw mismatch("model.onnx input '" + input.name() + "' takes " + columns + " columns but feature pipeline '"
                    + pipeline + "' gives " + width + (Manifest.IDENTITY_PIPELINE.equals(pipeline)
                            ? " (one per feature of the manifest's schema)" : "")
                    + "; the model and the manifest must describe the same inputs");
        }
        String outputName = manifest.output().onnxOutput();
        int positive = manifest.output().positiveClassIndex();
        ModelRuntime.Tensor output = signature.outputs().stream().filter(t -> t.name().equals(outputName))
                .findFirst().orElseThrow(() -> mismatch("manifest.output.onnxOutput is '" + printable(outputName)
                        + "' but model.onnx has no such output; its outputs are "
                        + signature.outputs().stream().map(ModelRuntime.Tensor::name).toList()));
        if (!"float".equals(output.elementType())) {
            throw mismatch("model.onnx output '" + outputName + "' holds " + output.elementType()
                    + " values; it must hold float class probabilities");
        }
        if (output.isMap()) {
            return; // ZipMap: the classes are only known per row, and the runtime checks them when scoring.
        }
        if (output.shape().length != 2) {
            throw mismatch("model.onnx output '" + outputName + "' is " + describe(output) + "; class probabilities"
                    + " are float [N, C]");
        }
        long classes = output.shape()[1];
        if (classes >= 0 && classes <= positive) {
            throw mismatch("model.onnx output '" + outputName + "' has " + classes + " columns but"
                    + " manifest.output.positiveClassIndex is " + positive + "; the index must be below " + classes);
        }
    }

    private static PackageRejectedException mismatch(String message) {
        return new PackageRejectedException(Reason.ONNX_SCHEMA_MISMATCH, message);
    }

    private static String describe(ModelRuntime.Tensor tensor) {
        if (tensor.isMap()) {
            return "a map of " + tensor.elementType();
        }
        StringBuilder shape = new StringBuilder();
        for (long d : tensor.shape()) {
            shape.append(shape.length() == 0 ? "" : ", ").append(d < 0 ? "N" : Long.toString(d));
        }
        return tensor.elementType() + " [" + shape + "]";
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    /**
     * The longest the probe row may take: a clinical model scores a row in milliseconds, and a graph built to run
     * for hours (a loop of millions of steps) must not hold the registration, then the gates, for that long.
     */
    static final java.time.Duration PROBE_BUDGET = java.time.Duration.ofSeconds(10);

    private static String expectedNames() {
        return "manifest.json, model.onnx and reference.json";
    }

    private static String printable(String value) {
        return Printable.of(value, 100);
    }

    /** A failure of the caller's stream itself, as opposed to bad content in it. */
    private static final class SourceFailure extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        SourceFailure(IOException cause) {
            super(cause);
        }
    }

    /**
     * Counts and digests every byte taken from the caller's stream, and stops the read as soon as the package
     * is larger than allowed. It never closes the caller's stream.
     */
    private static final class CountingInput extends FilterInputStream {
        final MessageDigest digest = Sha256.newDigest();
        final long max;
        long count;

        CountingInput(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
            if (n > 0) {
                count += n;
                if (count > max) {
                    throw new PackageRejectedException(Reason.TOO_LARGE, "the package is larger than " + max
                            + " bytes; make the model smaller or ask for a higher VIGIL_MAX_PACKAGE_BYTES");
                }
                digest.update(b, off, n);
            }
            return n;
        }

        /** Skipped bytes are read, so that they are counted and digested too. */
        @Override
        public long skip(long n) {
            byte[] buffer = new byte[8192];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // The caller owns the stream.
        }
    }
}
