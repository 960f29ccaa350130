package dev.prism.batch;

/**
 * Limits of one model's batch scheduler.
 *
 * @param maxBatchRows         most rows in one model run
 * @param maxQueueDelayMicros  longest wait for an under-full batch to fill
 * @param maxQueueRows         queued rows past which new requests are refused
 * @param crossRequestBatching whether rows of different requests share a run
 * @param workers              model runs in flight at once; 0 = decided by the server from the device
 */
public record BatchingSettings(int maxBatchRows, int maxQueueDelayMicros, long maxQueueRows,
                               boolean crossRequestBatching, int workers) {
    public static final BatchingSettings DEFAULT = new BatchingSettings(8192, 0, 4_194_304, true, 0);

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
        if (workers < 0 || workers > 64) {
            throw new IllegalArgumentException("workers must be in [0, 64], got " + workers);
        }
    }

    public BatchingSettings withMaxBatchRows(int rows) {
        return new BatchingSettings(rows, maxQueueDelayMicros, maxQueueRows, crossRequestBatching, workers);
    }

    public BatchingSettings withCrossRequestBatching(boolean on) {
        return new BatchingSettings(maxBatchRows, maxQueueDelayMicros, maxQueueRows, on, workers);
    }

    public BatchingSettings withWorkers(int n) {
        return new BatchingSettings(maxBatchRows, maxQueueDelayMicros, maxQueueRows, crossRequestBatching, n);
    }

    public BatchingSettings withMaxQueueRows(long rows) {
        return new BatchingSettings(maxBatchRows, maxQueueDelayMicros, rows, crossRequestBatching, workers);
    }
}
