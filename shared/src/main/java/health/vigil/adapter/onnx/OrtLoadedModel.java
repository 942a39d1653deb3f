package health.vigil.adapter.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import health.vigil.error.ErrorCode;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.port.ModelRuntime;
import health.vigil.text.Words;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One ONNX Runtime session ready to score, shared by every request thread.
 *
 * <p>Scoring reuses native-memory buffers and the tensors over them: a thread borrows a {@link Scratch}
 * from a pool (bounded by the native memory it keeps), copies its rows into the input buffer, and ONNX
 * Runtime writes the probabilities straight into a pinned output buffer. Once a batch size has been seen, a
 * call allocates only its result array plus the few hundred bytes ORT's Java binding needs per run, instead
 * of a direct buffer, a tensor and a copy of every output. A scratch serves one thread at a time, so sharing
 * them is safe. A read-write lock keeps {@link #close()} from freeing the session while a call is still
 * inside ONNX Runtime.
 */
final class OrtLoadedModel implements ModelRuntime.LoadedModel {
    /** How the named output carries the probabilities. */
    private enum OutputKind {
        /** float [N, C] with C known when loading: written into a pinned buffer. */
        FIXED_COLUMNS,
        /** float [N, C] with C dynamic: copied out of ORT's own output. */
        DYNAMIC_COLUMNS,
        /** ZipMap: a sequence with one map (class label to probability) per row. */
        SEQUENCE_OF_MAPS
    }

    /**
     * Idle scratches are kept while their buffers hold at most this many floats in all (16 MiB): enough for
     * hundreds of concurrent single-row requests or a few dozen 1000-row batches, without one burst of large
     * batches pinning native memory for good.
     */
    private static final long MAX_POOLED_FLOATS = 4L << 20;

    private final OrtModelRuntime runtime;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String sha256;
    private final String inputName;
    private final int width;
    private final String outputName;
    private final Set<String> requestedOutputs;
    private final int positiveClassIndex;
    private final OutputKind outputKind;
    private final int classes;
    private final ConcurrentLinkedDeque<Scratch> pool = new ConcurrentLinkedDeque<>();
    private final AtomicLong pooledFloats = new AtomicLong();
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private OrtLoadedModel(OrtModelRuntime runtime, OrtEnvironment environment, OrtSession session, String sha256,
            String inputName, int width, String outputName, int positiveClassIndex, OutputKind outputKind, int classes) {
        this.runtime = runtime;
        this.environment = environment;
        this.session = session;
        this.sha256 = sha256;
        this.inputName = inputName;
        this.width = width;
        this.outputName = outputName;
        this.requestedOutputs = Set.of(outputName);
        this.positiveClassIndex = positiveClassIndex;
        this.outputKind = outputKind;
        this.classes = classes;
    }

    static OrtLoadedModel create(OrtModelRuntime runtime, OrtEnvironment environment, OrtSession session, String sha256,
            String outputName, int positiveClassIndex) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (inputs.size() != 1) {
            throw mismatch("the model has " + inputs.size() + " inputs; Vigil feeds exactly one float [N, F] input");
        }
        NodeInfo input = inputs.values().iterator().next();
        if (!(input.getInfo() instanceof TensorInfo in) || in.type != OnnxJavaType.FLOAT || in.getShape().length != 2) {
            throw mismatch("the model's input '" + input.getName() + "' is not a float [N, F] tensor");
        }
        int width = (int) Math.max(-1, in.getShape()[1]);
        NodeInfo output = session.getOutputInfo().get(outputName);
        if (output == null) {
            throw mismatch("the model has no output '" + OnnxProtos.printable(outputName) + "'; it has "
                    + session.getOutputNames());
        }
        ValueInfo info = output.getInfo();
        if (info instanceof TensorInfo out && out.type == OnnxJavaType.FLOAT && out.getShape().length == 2) {
            long columns = out.getShape()[1];
            if (columns < 0) {
                return new OrtLoadedModel(runtime, environment, session, sha256, input.getName(), width, outputName,
                        positiveClassIndex, OutputKind.DYNAMIC_COLUMNS, -1);
            }
            if (positiveClassIndex >= columns) {
                throw mismatch("output '" + outputName + "' has " + columns + " columns; positive class index "
                        + positiveClassIndex + " is outside it");
            }
            return new OrtLoadedModel(runtime, environment, session, sha256, input.getName(), width, outputName,
                    positiveClassIndex, OutputKind.FIXED_COLUMNS, (int) columns);
        }
        if (info instanceof SequenceInfo seq && seq.isSequenceOfMaps() && seq.mapInfo.valueType == OnnxJavaType.FLOAT) {
            return new OrtLoadedModel(runtime, environment, session, sha256, input.getName(), width, outputName,
                    positiveClassIndex, OutputKind.SEQUENCE_OF_MAPS, -1);
        }
        throw mismatch("output '" + outputName + "' is neither a float [N, C] tensor nor a sequence of maps to float"
                + " (ZipMap); it cannot hold class probabilities");
    }

    private static PackageRejectedException mismatch(String message) {
        return new PackageRejectedException(Reason.ONNX_SCHEMA_MISMATCH, message);
    }

    /** The number of input columns, or -1 when the model accepts any; then a call's width is its length / rows. */
    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public double[] predict(float[] rowMajor, int rows) {
        return predict(rowMajor, rows, null);
    }

    @Override
    public double[] predict(float[] rowMajor, int rows, Duration budget) {
        if (rowMajor == null) {
            throw new ValidationException("no input rows were given");
        }
        if (rows < 0) {
            throw new ValidationException("the row count is " + rows + "; it must be 0 or more");
        }
        if (rows == 0) {
            if (rowMajor.length != 0) {
                throw new ValidationException("0 rows were announced but " + Words.count(rowMajor.length, "value")
                        + (rowMajor.length == 1 ? " was" : " were") + " given");
            }
            return new double[0];
        }
        int columns = width >= 0 ? width : rowMajor.length / rows;
        if (columns == 0 || (long) rows * columns != rowMajor.length) {
            throw new ValidationException("the input holds " + Words.count(rowMajor.length, "value") + ", which is not "
                    + Words.count(rows, "row") + " of " + (width >= 0 ? width + " model inputs" : "equal width"));
        }
        var lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new VigilException(ErrorCode.INVALID_STATE, "model " + sha256 + " has been unloaded; load it again");
            }
            Scratch scratch = borrow(rows, columns);
            RunWatch.Slot watch = budget == null ? null : RunWatch.arm(budget);
            try {
                scratch.input.put(0, rowMajor, 0, rowMajor.length);
                OrtSession.RunOptions options = watch == null ? null : watch.options();
                return switch (outputKind) {
                    case FIXED_COLUMNS -> fromPinned(scratch, rows, options);
                    case DYNAMIC_COLUMNS -> fromDynamicColumns(scratch, rows, options);
                    case SEQUENCE_OF_MAPS -> fromMaps(scratch, rows, options);
                };
            } catch (OrtException e) {
                if (watch != null && watch.disarm()) {
                    throw new VigilException(ErrorCode.RUNTIME_FAILURE, "model " + sha256 + " took longer than "
                            + budget.toMillis() + " ms to score " + rows + " row" + (rows == 1 ? "" : "s")
                            + ", and ONNX Runtime stopped it; a clinical model scores a row in milliseconds", e);
                }
                throw e;
            } finally {
                if (watch != null) {
                    watch.disarm(); // after a run that returned as the watchdog stopped it: ready for the next
                }
                giveBack(scratch);
            }
        } catch (OrtException e) {
            // ORT's message stays in the cause only: it describes the model and shapes, and is kept out of the
            // message that may reach a client.
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime failed to score "
                    + Words.count(rows, "row") + " with model " + sha256 + " (" + e.getCode() + ")", e);
        } finally {
            lock.unlock();
        }
    }

    private double[] fromPinned(Scratch scratch, int rows, OrtSession.RunOptions options) throws OrtException {
        try (OrtSession.Result ignored = options == null ? session.run(scratch.inputs, scratch.pinnedOutputs)
                : session.run(scratch.inputs, Set.of(), scratch.pinnedOutputs, options)) {
            double[] result = new double[rows];
            for (int r = 0; r < rows; r++) {
                result[r] = scratch.output.get(r * classes + positiveClassIndex);
            }
            return result;
        }
    }

    private double[] fromDynamicColumns(Scratch scratch, int rows, OrtSession.RunOptions options)
            throws OrtException {
        try (OrtSession.Result result = options == null ? session.run(scratch.inputs, requestedOutputs)
                : session.run(scratch.inputs, requestedOutputs, options)) {
            OnnxTensor tensor = (OnnxTensor) result.get(0);
            long[] shape = tensor.getInfo().getShape();
            if (shape.length != 2 || shape[0] != rows || shape[1] <= positiveClassIndex) {
                throw classCountMismatch(shape.length == 2 ? shape[1] : -1);
            }
            int columns = (int) shape[1];
            FloatBuffer values = tensor.getFloatBuffer();
            double[] out = new double[rows];
            for (int r = 0; r < rows; r++) {
                out[r] = values.get(r * columns + positiveClassIndex);
            }
            return out;
        }
    }

    /**
     * ZipMap keys are the class labels; ORT builds each map from the labels in the classifier's order, which
     * converters write sorted. The positive class is the key at {@code positiveClassIndex} in sorted order.
     */
    private double[] fromMaps(Scratch scratch, int rows, OrtSession.RunOptions options) throws OrtException {
        try (OrtSession.Result result = options == null ? session.run(scratch.inputs, requestedOutputs)
                : session.run(scratch.inputs, requestedOutputs, options)) {
            List<? extends OnnxValue> maps = ((OnnxSequence) result.get(0)).getValue();
            if (maps.size() != rows) {
                throw new VigilException(ErrorCode.RUNTIME_FAILURE, "model " + sha256 + " returned " + maps.size()
                        + " probability maps for " + Words.count(rows, "row"));
            }
            double[] out = new double[rows];
            for (int r = 0; r < rows; r++) {
                Map<?, ?> byLabel = ((OnnxMap) maps.get(r)).getValue();
                List<Comparable<Object>> labels = new ArrayList<>();
                for (Object key : byLabel.keySet()) {
                    @SuppressWarnings("unchecked")
                    Comparable<Object> label = (Comparable<Object>) key;
                    labels.add(label);
                }
                if (labels.size() <= positiveClassIndex) {
                    throw classCountMismatch(labels.size());
                }
                Collections.sort(labels);
                out[r] = ((Number) byLabel.get(labels.get(positiveClassIndex))).doubleValue();
            }
            return out;
        }
    }

    private VigilException classCountMismatch(long columns) {
        return new VigilException(ErrorCode.RUNTIME_FAILURE, "model " + sha256 + " returned " + columns
                + " classes in output '" + outputName + "'; the positive class index is " + positiveClassIndex);
    }

    private Scratch borrow(int rows, int columns) throws OrtException {
        Scratch scratch = pool.pollFirst();
        if (scratch == null) {
            return new Scratch(rows, columns);
        }
        pooledFloats.addAndGet(-scratch.footprint());
        if (scratch.rows != rows || scratch.columns != columns) {
            scratch.reshape(rows, columns);
        }
        return scratch;
    }

    private void giveBack(Scratch scratch) {
        long footprint = scratch.footprint();
        if (pooledFloats.addAndGet(footprint) <= MAX_POOLED_FLOATS) {
            pool.addFirst(scratch);
            return;
        }
        pooledFloats.addAndGet(-footprint);
        scratch.close();
    }

    /** Waits for calls in progress, then frees the session and its buffers. Closing twice is harmless. */
    @Override
    public void close() {
        var lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Scratch scratch; (scratch = pool.pollFirst()) != null; ) {
                pooledFloats.addAndGet(-scratch.footprint());
                scratch.close();
            }
            try {
                session.close();
            } catch (OrtException e) {
                throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime could not release model " + sha256
                        + " (" + e.getCode() + ")", e);
            }
        } finally {
            lock.unlock();
            runtime.forget(this);
        }
    }

    /**
     * Native-memory input and output buffers with the tensors and run arguments over them, for one batch
     * shape. Reshaping keeps the buffers when they are large enough and only re-creates the tensor views.
     */
    private final class Scratch {
        private FloatBuffer inputMemory;
        private FloatBuffer outputMemory;
        int rows;
        int columns;
        FloatBuffer input;
        FloatBuffer output;
        private OnnxTensor inputTensor;
        private OnnxTensor outputTensor;
        Map<String, OnnxTensor> inputs;
        Map<String, OnnxTensor> pinnedOutputs;

        Scratch(int rows, int columns) throws OrtException {
            reshape(rows, columns);
        }

        /** Floats held in native memory by this scratch. */
        long footprint() {
            return (long) inputMemory.capacity() + (outputMemory == null ? 0 : outputMemory.capacity());
        }

        void reshape(int newRows, int newColumns) throws OrtException {
            closeTensors();
            int inputSize = newRows * newColumns;
            if (inputMemory == null || inputMemory.capacity() < inputSize) {
                inputMemory = direct(inputSize);
            }
            input = view(inputMemory, inputSize);
            inputTensor = OnnxTensor.createTensor(environment, input, new long[] {newRows, newColumns});
            inputs = Map.of(inputName, inputTensor);
            if (outputKind == OutputKind.FIXED_COLUMNS) {
                int outputSize = newRows * classes;
                if (outputMemory == null || outputMemory.capacity() < outputSize) {
                    outputMemory = direct(outputSize);
                }
                output = view(outputMemory, outputSize);
                outputTensor = OnnxTensor.createTensor(environment, output, new long[] {newRows, classes});
                pinnedOutputs = Map.of(outputName, outputTensor);
            }
            rows = newRows;
            columns = newColumns;
        }

        private static FloatBuffer direct(int floats) {
            return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        private static FloatBuffer view(FloatBuffer memory, int size) {
            FloatBuffer view = memory.duplicate();
            view.position(0).limit(size);
            return view.slice();
        }

        private void closeTensors() {
            if (inputTensor != null) {
                inputTensor.close();
                inputTensor = null;
            }
            if (outputTensor != null) {
                outputTensor.close();
                outputTensor = null;
            }
        }

        void close() {
            closeTensors();
        }
    }
}
