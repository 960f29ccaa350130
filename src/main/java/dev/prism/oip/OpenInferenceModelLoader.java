package dev.prism.oip;

import dev.prism.PrismBuild;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.repository.ModelLoader;
import dev.prism.repository.ModelSettings;
import dev.prism.repository.OpenInferenceBackend;
import dev.prism.repository.SignatureResolver;
import dev.prism.tensor.DType;
import dev.prism.tensor.TensorSpec;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.ModelMetadataRequest;
import inference.OpenInferenceGrpc.ModelMetadataResponse;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens model files with the file loader it wraps, and connects to models that other servers serve
 * over the Open Inference Protocol: one channel per model, the signature from the backend's
 * ModelMetadata and the folder's settings.
 */
public final class OpenInferenceModelLoader implements ModelLoader {
    /** The largest metadata answer Prism reads; each ModelInfer call has a limit of its own. */
    private static final int MAX_METADATA_BYTES = 4 << 20;

    private final ModelLoader files;

    public OpenInferenceModelLoader(ModelLoader files) {
        this.files = files;
    }

    @Override
    public Model load(Path modelFile, ModelSettings settings, String device) {
        return files.load(modelFile, settings, device);
    }

    @Override
    public Model load(Path modelFile, ModelSettings settings, String device, DefaultBackground background) {
        return files.load(modelFile, settings, device, background);
    }

    @Override
    public Model connect(OpenInferenceBackend backend, ModelSettings settings) {
        if (settings.device() != null) {
            throw new IllegalArgumentException("device does not apply to a model on an open_inference_backend");
        }
        ManagedChannel channel = channel(backend);
        try {
            ModelMetadataResponse metadata;
            try {
                metadata = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(backend.timeout().toNanos(), TimeUnit.NANOSECONDS)
                        .modelMetadata(ModelMetadataRequest.newBuilder().setName(backend.modelName())
                                .setVersion(backend.modelVersion()).build());
            } catch (StatusRuntimeException e) {
                throw new IllegalArgumentException("cannot read the metadata of model '" + backend.modelName()
                        + "' from the backend at " + backend.target() + ": " + OpenInferenceModel.describe(e), e);
            }
            ModelSignature signature = SignatureResolver.resolve(tensors(metadata.getInputsList(), "input", true),
                    tensors(metadata.getOutputsList(), "output", false), settings);
            return new OpenInferenceModel(channel, backend, signature);
        } catch (RuntimeException e) {
            channel.shutdownNow();
            throw e;
        }
    }

    private static ManagedChannel channel(OpenInferenceBackend backend) {
        ChannelCredentials credentials;
        try {
            credentials = credentials(backend.tls());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the backend's TLS files: " + e.getMessage(), e);
        }
        // round_robin spreads the rows over every address the target resolves to (replicas of the backend).
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(backend.target(), credentials)
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(MAX_METADATA_BYTES)
                .userAgent("prism/" + PrismBuild.version());
        if (backend.tls() != null && backend.tls().serverName() != null) {
            builder.overrideAuthority(backend.tls().serverName());
        }
        return builder.build();
    }

    private static ChannelCredentials credentials(OpenInferenceBackend.Tls tls) throws IOException {
        if (tls == null) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
        if (tls.caFile() != null) {
            credentials.trustManager(tls.caFile().toFile());
        }
        if (tls.certFile() != null) {
            credentials.keyManager(tls.certFile().toFile(), tls.keyFile().toFile());
        }
        return credentials.build();
    }

    /**
     * The backend's tensors as Prism's. An input of a datatype Prism cannot write is refused; an
     * output Prism cannot read is left out (as the ONNX loader leaves out non-float outputs by default).
     */
    private static List<TensorSpec> tensors(List<ModelMetadataResponse.TensorMetadata> declared, String kind,
                                            boolean required) {
        List<TensorSpec> specs = new ArrayList<>();
        for (ModelMetadataResponse.TensorMetadata t : declared) {
            DType dtype = OipDatatypes.dtype(t.getDatatype());
            if (dtype == null) {
                if (required) {
                    throw new IllegalArgumentException("the backend's " + kind + " '" + t.getName() + "' has datatype "
                            + t.getDatatype() + "; Prism writes FP32, FP64, INT32 and INT64");
                }
                continue;
            }
            long[] shape = new long[t.getShapeCount()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Math.max(-1, t.getShape(i));
            }
            specs.add(new TensorSpec(t.getName(), dtype, shape));
        }
        return specs;
    }
}
