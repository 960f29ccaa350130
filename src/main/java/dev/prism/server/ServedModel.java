package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.model.ModelRepository;
import dev.prism.model.ModelSignature;

/** A repository model together with the scheduler that owns it. */
record ServedModel(ModelRepository.Entry entry, BatchScheduler scheduler) {
    String name() {
        return entry.name();
    }

    ModelSignature signature() {
        return entry.model().signature();
    }
}
