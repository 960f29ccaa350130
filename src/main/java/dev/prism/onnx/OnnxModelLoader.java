package dev.prism.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.repository.ModelLoader;
import dev.prism.repository.ModelSettings;
import dev.prism.repository.SignatureResolver;
import dev.prism.tensor.DType;
import dev.prism.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Opens ONNX files in ONNX Runtime sessions on the CPU or a CUDA device. */
public final class OnnxModelLoader implements ModelLoader {
    private final OrtEnvironment env = environment();
    private final int intraOpThreads;

    /** @param intraOpThreads threads per run; 0 lets ONNX Runtime use one per physical core */
    public OnnxModelLoader(int intraOpThreads) {
        this.intraOpThreads = intraOpThreads;
    }

    /**
     * The process-wide environment, created on a thread with a large stack: ONNX Runtime's native
     * start-up reads the process command line recursively and overflows a default 1 MB main-thread
     * stack (crashing the JVM) when the command line is long, e.g. a classpath of many jars.
     */
    private static OrtEnvironment environment() {
        OrtEnvironment[] created = new OrtEnvironment[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(null, () -> {
            try {
                created[0] = OrtEnvironment.getEnvironment();
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "prism-ort-init", 64L << 20);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting ONNX Runtime", e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return created[0];
    }

    @Override
    public Model load(Path modelFile, ModelSettings settings, String deviceName) {
        return load(modelFile, settings, deviceName, DefaultBackground.NONE);
    }

    @Override
    public Model load(Path modelFile, ModelSettings settings, String deviceName, DefaultBackground background) {
        ExecutionDevice device = ExecutionDevice.parse(deviceName);
        if (device.cuda()) {
            requireCuda();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(modelFile);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + modelFile + ": " + e.getMessage(), e);
        }
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            // Refused here, not left to ONNX Runtime: a model whose files cannot be checked is not opened.
            throw new IllegalArgumentException(modelFile + " is not an ONNX model: " + e.getMessage(), e);
        }
        ExternalDataFiles.confine(proto, modelFile.toAbsolutePath().getParent());
        OnnxModel model;
        Optional<Background> rows;
        try (OrtSession.SessionOptions options = options(device)) {
            OrtSession session = env.createSession(modelFile.toString(), options);
            try {
                List<TensorSpec> inputs = specs(session.getInputInfo(), true);
                // Outputs Prism cannot read (string labels, ZipMap's maps) are left out, not fatal:
                // only score outputs are ever fetched.
                List<TensorSpec> outputs = specs(session.getOutputInfo(), false);
                ModelSignature signature = SignatureResolver.resolve(inputs, outputs, settings);
                rows = background.read(signature);
                model = new OnnxModel(env, session, signature, modelFile.toString(), device,
                        attributionGraphs(proto, signature, device));
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot open " + modelFile + ": " + e.getMessage(), e);
        }
        try {
            return TreeEnsembles.settle(model, proto, rows);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private AttributionGraphs attributionGraphs(ModelProto proto, ModelSignature signature, ExecutionDevice device) {
        return OnnxAttributionGraphs.compile(env, proto, signature, device, () -> {
            try {
                return options(device);
            } catch (OrtException e) {
                throw new IllegalStateException("cannot configure an ONNX Runtime session: " + e.getMessage(), e);
            }
        });
    }

    /** Session options for the model and its attribution graphs alike; the caller closes them. */
    private OrtSession.SessionOptions options(ExecutionDevice device) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Warnings such as unused initializers in converted models would flood the log at every load.
            options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (intraOpThreads > 0) {
                options.setIntraOpNumThreads(intraOpThreads);
            }
            if (device.cuda()) {
                options.addCUDA(device.deviceId());
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static void requireCuda() {
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            throw new IllegalArgumentException("the CUDA execution provider is not available: this build "
                    + "carries the CPU ONNX Runtime. Build with 'mvn -Pgpu package' (onnxruntime_gpu, "
                    + "Linux or Windows x64 with CUDA 12 and cuDNN 9) or run with --device cpu");
        }
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> infos, boolean strict) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : infos.values()) {
            if (!strict && !readable(node)) {
                continue;
            }
            if (!(node.getInfo() instanceof TensorInfo t)) {
                throw new IllegalArgumentException("graph value " + node.getName() + " is "
                        + node.getInfo() + "; Prism serves tensor inputs and outputs only "
                        + "(convert classifiers with zipmap disabled)");
            }
            specs.add(new TensorSpec(node.getName(), dtype(node.getName(), t.type), t.getShape()));
        }
        return specs;
    }

    private static boolean readable(NodeInfo node) {
        return node.getInfo() instanceof TensorInfo t && switch (t.type) {
            case FLOAT, DOUBLE, INT32, INT64 -> true;
            default -> false;
        };
    }

    private static DType dtype(String name, OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> DType.FLOAT32;
            case DOUBLE -> DType.FLOAT64;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            default -> throw new IllegalArgumentException("graph value " + name + " has element type "
                    + type + "; Prism supports float32, float64, int32 and int64");
        };
    }
}
