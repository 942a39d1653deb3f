package health.vigil.adapter.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import health.vigil.error.ErrorCode;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.port.ModelRuntime;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link ModelRuntime} on ONNX Runtime: one environment for the process, sessions tuned for scoring a few
 * rows per request from many request threads at once, and the integrity and safety checks that come before
 * ONNX Runtime is given any bytes.
 *
 * <p>Session settings, and why:
 * <ul>
 *   <li>all graph optimisations: they run once when a model is loaded, and every request profits;</li>
 *   <li>sequential execution and one inter-op thread: the graphs are a handful of nodes in a chain, so there
 *       is nothing to run side by side;</li>
 *   <li>{@value #DEFAULT_INTRA_OP_THREADS} intra-op thread by default: the parallelism of a scoring host is
 *       its concurrent requests, each scoring 1 to ~1000 rows. A per-session pool of N threads would contend
 *       with the request threads for the same few cores (a premium-plan instance has 1-4 vCPUs, and every
 *       loaded version would own its own pool), and ORT only splits a tree ensemble across threads for large
 *       batches. With one thread the calling thread does the work and no pool thread exists or spins.
 *       {@link #OrtModelRuntime(int)} allows more for batch-heavy hosts; spinning is then switched off so
 *       idle pool threads do not burn the CPU that other requests need.</li>
 * </ul>
 */
public final class OrtModelRuntime implements ModelRuntime {
    public static final int DEFAULT_INTRA_OP_THREADS = 1;

    private final OrtEnvironment environment;
    private final OrtSession.SessionOptions scoringOptions;
    private final OrtSession.SessionOptions inspectOptions;
    private final Set<OrtLoadedModel> loaded = ConcurrentHashMap.newKeySet();
    /** Loads and inspections hold the read lock; {@link #close()} waits for them before freeing the options. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    public OrtModelRuntime() {
        this(DEFAULT_INTRA_OP_THREADS);
    }

    public OrtModelRuntime(int intraOpThreads) {
        if (intraOpThreads < 1 || intraOpThreads > 64) {
            throw new ValidationException("intraOpThreads is " + intraOpThreads + "; use 1-64 (1 suits per-request scoring)");
        }
        // The environment is process-wide in ONNX Runtime (it logs at WARNING by default); every runtime shares it.
        environment = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions scoring = null;
        try {
            scoring = sessionOptions(intraOpThreads, OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING);
            // Registration expects to meet broken models; their errors go into the rejection, not to stderr.
            inspectOptions = sessionOptions(intraOpThreads, OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            scoringOptions = scoring;
        } catch (OrtException e) {
            if (scoring != null) {
                scoring.close();
            }
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime rejected the session options ("
                    + e.getCode() + ")", e);
        }
    }

    private static OrtSession.SessionOptions sessionOptions(int intraOpThreads, OrtLoggingLevel logLevel)
            throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            options.setSessionLogLevel(logLevel);
            return options;
        } catch (OrtException e) {
            options.close();
            throw e;
        }
    }

    @Override
    public java.util.Optional<health.vigil.model.ModelStructure> structure(byte[] onnx) {
        try {
            return java.util.Optional.of(OnnxTreeEnsembleReader.read(onnx));
        } catch (ValidationException notATreeEnsemble) {
            return OnnxLinearModelReader.read(onnx).map(health.vigil.model.ModelStructure.class::cast);
        }
    }

    @Override
    public LoadedModel load(byte[] onnx, String expectedSha256, String outputName, int positiveClassIndex) {
        var lock = lifecycle.readLock();
        lock.lock();
        try {
            requireOpen();
            return loadOpen(onnx, expectedSha256, outputName, positiveClassIndex);
        } finally {
            lock.unlock();
        }
    }

    private LoadedModel loadOpen(byte[] onnx, String expectedSha256, String outputName, int positiveClassIndex) {
        if (onnx == null || onnx.length == 0) {
            throw new ValidationException(ErrorCode.INVALID_PACKAGE, "the model bytes are empty");
        }
        if (expectedSha256 == null || !expectedSha256.matches("[0-9a-fA-F]{64}")) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "the expected sha256 must be 64 hex digits");
        }
        if (outputName == null || outputName.isBlank()) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "name the ONNX output that holds the probabilities");
        }
        if (positiveClassIndex < 0) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "positiveClassIndex is " + positiveClassIndex
                    + "; it must be 0 or more");
        }
        String actual = Sha256.hex(onnx);
        String expected = expectedSha256.toLowerCase(Locale.ROOT);
        if (!MessageDigest.isEqual(actual.getBytes(StandardCharsets.US_ASCII), expected.getBytes(StandardCharsets.US_ASCII))) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, "the model's sha256 is " + actual + " but the registry"
                    + " recorded " + expected + "; the stored artifact was altered or corrupted: it was not loaded."
                    + " Restore the package from the registry's original blob or register it again");
        }
        // The bytes were checked at registration; checking again costs little and keeps a model that points at
        // external files or needs custom operators away from ORT even if it reached the store some other way.
        OnnxModelChecks.parseAndCheck(onnx);
        OrtSession session;
        try {
            session = environment.createSession(onnx, scoringOptions);
        } catch (OrtException e) {
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime could not load the model with sha256 "
                    + actual + " (" + e.getCode() + ")", e);
        }
        OrtLoadedModel model;
        try {
            model = OrtLoadedModel.create(this, environment, session, actual, outputName, positiveClassIndex);
        } catch (OrtException e) {
            closeQuietly(session);
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime could not describe the model with sha256 "
                    + actual + " (" + e.getCode() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
        loaded.add(model);
        return model;
    }

    @Override
    public Signature inspect(byte[] onnx) {
        var lock = lifecycle.readLock();
        lock.lock();
        try {
            requireOpen();
            OnnxModelChecks.parseAndCheck(onnx);
            try (OrtSession session = environment.createSession(onnx, inspectOptions)) {
                return signature(session);
            } catch (OrtException e) {
                throw new PackageRejectedException(Reason.ONNX_UNLOADABLE, "ONNX Runtime " + environment.getVersion()
                        + " cannot load model.onnx (" + e.getCode() + "): " + firstLine(e.getMessage())
                        + ". Export the model again with operators and opsets this runtime supports", e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes every model this runtime loaded (each waits for its calls in progress) and the session options;
     * the process-wide environment stays. Closing twice is harmless.
     */
    @Override
    public void close() {
        var lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (OrtLoadedModel model : List.copyOf(loaded)) {
                model.close();
            }
            scoringOptions.close();
            inspectOptions.close();
        } finally {
            lock.unlock();
        }
    }

    void forget(OrtLoadedModel model) {
        loaded.remove(model);
    }

    private void requireOpen() {
        if (closed) {
            throw new VigilException(ErrorCode.INVALID_STATE, "the ONNX runtime has been closed; create a new one");
        }
    }

    static Signature signature(OrtSession session) throws OrtException {
        List<Tensor> inputs = new ArrayList<>();
        for (NodeInfo info : session.getInputInfo().values()) {
            inputs.add(describe(info));
        }
        List<Tensor> outputs = new ArrayList<>();
        for (NodeInfo info : session.getOutputInfo().values()) {
            outputs.add(describe(info));
        }
        return new Signature(inputs, outputs);
    }

    /**
     * A tensor's element type is its ONNX name ("float", "int64"); shapes use -1 for dynamic dimensions.
     * A sequence of maps (ZipMap) is described by its map value type, shape [-1] and {@code isMap}; a map
     * by its value type, shape [] and {@code isMap}.
     */
    static Tensor describe(NodeInfo node) {
        ValueInfo info = node.getInfo();
        if (info instanceof TensorInfo tensor) {
            return new Tensor(node.getName(), tensorTypeName(tensor), tensor.getShape().clone(), false);
        }
        if (info instanceof SequenceInfo sequence) {
            if (sequence.isSequenceOfMaps()) {
                return new Tensor(node.getName(), javaTypeName(sequence.mapInfo), new long[] {-1}, true);
            }
            return new Tensor(node.getName(), "sequence<" + sequence.sequenceType.name().toLowerCase(Locale.ROOT) + ">",
                    new long[] {-1}, false);
        }
        if (info instanceof MapInfo map) {
            return new Tensor(node.getName(), javaTypeName(map), new long[0], true);
        }
        return new Tensor(node.getName(), "unknown", new long[0], false);
    }

    static String tensorTypeName(TensorInfo tensor) {
        return tensor.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "").toLowerCase(Locale.ROOT);
    }

    private static String javaTypeName(MapInfo map) {
        return map.valueType.name().toLowerCase(Locale.ROOT);
    }

    /**
     * ONNX Runtime's reason, for a message a data scientist reads: its first line, without the source file and line
     * and the C++ function signature ONNX Runtime puts before the reason (which alone could fill the 300 characters
     * kept), cut at 300 characters.
     */
    static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        String line = message.lines().findFirst().orElse("").strip();
        Matcher location = SOURCE_LOCATION.matcher(line);
        if (location.find()) {
            String rest = line.substring(location.end());
            int open = rest.indexOf('(');
            if (open > 0 && rest.substring(0, open).contains("::")) {
                int depth = 0;
                for (int i = open; i < rest.length(); i++) {
                    char c = rest.charAt(i);
                    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                    if (depth == 0) {
                        rest = rest.substring(i + 1);
                        break;
                    }
                }
            }
            line = (line.substring(0, location.start()) + " " + rest.strip()).strip();
        }
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    /** A source path and line as ONNX Runtime writes them: {@code /onnxruntime_src/.../model_load_utils.h:46}. */
    private static final Pattern SOURCE_LOCATION = Pattern.compile("/\\S*onnxruntime\\S*\\.(?:h|cc|cpp|cu):\\d+\\s*");

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException ignored) {
            // The load already failed; that failure is the one to report.
        }
    }
}
