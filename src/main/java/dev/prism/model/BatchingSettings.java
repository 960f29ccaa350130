package dev.prism.model;

/**
 * Limits of one model's batch scheduler.
 *
 * @param maxBatchRows         most rows in one model run
 * @param maxQueueDelayMicros  longest wait for an under-full batch to fill
 * @param maxQueueRows         queued rows past which new requests are refused
 * @param crossRequestBatching whether rows of different requests share a run
 */
public record BatchingSettings(int maxBatchRows, int maxQueueDelayMicros, long maxQueueRows,
                               boolean crossRequestBatching) {
    public static final BatchingSettings DEFAULT = new BatchingSettings(8192, 1000, 4_194_304, true);

    public BatchingSettings {
        if (maxBatchRows < 1 || maxBatchRows > 1 << 20) {
            throw new IllegalArgumentException("max_batch_rows must be in [1, 1048576], got " + maxBatchRows);
        }
        if (maxQueueDelayMicros < 0 || maxQueueDelayMicros > 1_000_000) {
            throw new IllegalArgumentException(
                    "max_queue_delay_micros must be in [0, 1000000], got " + maxQueueDelayMicros);
        }
        if (maxQueueRows < 1) {
            throw new IllegalArgumentException("max_queue_rows must be >= 1, got " + maxQueueRows);
        }
    }

    public BatchingSettings withMaxBatchRows(int rows) {
        return new BatchingSettings(rows, maxQueueDelayMicros, maxQueueRows, crossRequestBatching);
    }

    public BatchingSettings withCrossRequestBatching(boolean on) {
        return new BatchingSettings(maxBatchRows, maxQueueDelayMicros, maxQueueRows, on);
    }

    public BatchingSettings withMaxQueueRows(long rows) {
        return new BatchingSettings(maxBatchRows, maxQueueDelayMicros, rows, crossRequestBatching);
    }
}
