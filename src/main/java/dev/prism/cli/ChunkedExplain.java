package dev.prism.cli;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ResponseWarning;
import dev.prism.api.v1.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * A job of many instances as requests of at most {@code chunkRows} instances each, {@code
 * concurrency} at a time on one channel, so that round_robin spreads them over the replicas behind
 * the target. A chunk refused with UNAVAILABLE (its replica died or drains) is sent again, and the
 * channel's balancer gives it to another replica; any other error ends the job. The answers are
 * merged in instance order into one response.
 */
final class ChunkedExplain {
    /** Sends of one chunk in all: the first and the retries. */
    static final int ATTEMPTS = 4;
    private static final long BACKOFF_MILLIS = 200;

    private ChunkedExplain() {}

    /**
     * @param request   the job: its one input holds every instance as double_data, the first dimension
     *                  counting them
     * @param deadline  System.nanoTime() by which the whole job must be done
     * @param onRows    told the instance count of each chunk as it comes back
     */
    static ExplainResponse run(ManagedChannel channel, ExplainRequest request, int chunkRows, int concurrency,
                               long deadline, IntConsumer onRows) throws InterruptedException {
        Tensor all = request.getInputs(0);
        int rows = Math.toIntExact(all.getShape(0));
        int width = rows == 0 ? 0 : all.getDoubleDataCount() / rows;
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < rows; from += chunkRows) {
            chunks.add(new int[] {from, Math.min(rows, from + chunkRows)});
        }
        ExecutorService threads = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, chunks.size())), r -> {
            Thread t = new Thread(r, "prism-chunk");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletionService<ExplainResponse> done = new ExecutorCompletionService<>(threads);
            List<Future<ExplainResponse>> sent = new ArrayList<>();
            for (int[] c : chunks) {
                ExplainRequest chunk = request.toBuilder().setInputs(0, slice(all, c[0], c[1], width)).build();
                sent.add(done.submit(() -> send(channel, chunk, deadline)));
            }
            ExplainResponse[] answers = new ExplainResponse[chunks.size()];
            for (int i = 0; i < chunks.size(); i++) {
                Future<ExplainResponse> next = done.take();
                ExplainResponse answer;
                try {
                    answer = next.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof StatusRuntimeException s) {
                        throw s;
                    }
                    throw new IllegalStateException(e.getCause());
                }
                int index = sent.indexOf(next);
                answers[index] = answer;
                onRows.accept(chunks.get(index)[1] - chunks.get(index)[0]);
            }
            return merge(answers, chunks);
        } finally {
            threads.shutdownNow();
        }
    }

    private static ExplainResponse send(ManagedChannel channel, ExplainRequest chunk, long deadline)
            throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return ExplainServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS).explain(chunk);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt == ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(retryDelayMillis(e, attempt));
            }
        }
    }

    /** The server's RetryInfo when it gave one, else a backoff growing with the attempts. */
    private static long retryDelayMillis(StatusRuntimeException e, int attempt) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status != null) {
            for (com.google.protobuf.Any detail : status.getDetailsList()) {
                if (detail.is(com.google.rpc.RetryInfo.class)) {
                    try {
                        var delay = detail.unpack(com.google.rpc.RetryInfo.class).getRetryDelay();
                        return delay.getSeconds() * 1000 + delay.getNanos() / 1_000_000;
                    } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                        // fall back to the backoff
                    }
                }
            }
        }
        return BACKOFF_MILLIS * attempt;
    }

    /** Instances [from, to) of a tensor whose first dimension counts them. */
    static Tensor slice(Tensor all, int from, int to, int width) {
        Tensor.Builder part = all.toBuilder().clearDoubleData().setShape(0, to - from);
        part.addAllDoubleData(all.getDoubleDataList().subList(from * width, to * width));
        return part.build();
    }

    /** The chunks' answers as one: explanations numbered by their instance in the whole job. */
    static ExplainResponse merge(ExplainResponse[] answers, List<int[]> chunks) {
        ExplainResponse first = answers[0];
        ExplainResponse.Builder merged = ExplainResponse.newBuilder().setModel(first.getModel())
                .setMethod(first.getMethod()).addAllFeatureNames(first.getFeatureNamesList());
        Set<String> warnings = new LinkedHashSet<>();
        for (int i = 0; i < answers.length; i++) {
            int offset = chunks.get(i)[0];
            for (Explanation e : answers[i].getExplanationsList()) {
                merged.addExplanations(e.toBuilder().setInstance(e.getInstance() + offset));
            }
            for (ResponseWarning w : answers[i].getWarningsList()) {
                if (warnings.add(w.getCode() + "\n" + w.getMessage())) {
                    merged.addWarnings(w);
                }
            }
            merged.setPartial(merged.getPartial() || answers[i].getPartial());
            merged.setElapsedSeconds(Math.max(merged.getElapsedSeconds(), answers[i].getElapsedSeconds()));
        }
        return merged.build();
    }
}
