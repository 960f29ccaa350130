package dev.prism.server;

import dev.prism.repository.FolderDigest;
import dev.prism.repository.ModelLoader;
import dev.prism.repository.ModelRepository;
import dev.prism.repository.ModelSettings;
import dev.prism.server.security.TokensFile;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Brings the served models in line with the repository folder: a new folder is loaded and served,
 * a changed one (by {@link FolderDigest}) is loaded beside the version serving now and swapped in
 * only once it loaded and validated, and a removed one stops taking requests. A folder that fails
 * to load is refused with its reason logged, and whatever served its name before keeps serving.
 */
final class ModelReloader {
    private static final System.Logger LOG = System.getLogger(ModelReloader.class.getName());
    private static final List<String> MODEL_OUTCOMES = List.of("added", "replaced", "removed", "refused");
    private static final List<String> TOKENS_OUTCOMES = List.of("reloaded", "refused");

    private final Path root;
    private final ModelLoader loader;
    private final String defaultDevice;
    private final UnaryOperator<ModelSettings> overrides;
    private final ServedModels models;
    /** Read again after the models, against the names served then; null without a tokens file. */
    private final TokensFile tokens;
    private final MeterRegistry registry;

    ModelReloader(Path root, ModelLoader loader, String defaultDevice, UnaryOperator<ModelSettings> overrides,
                  ServedModels models, TokensFile tokens, MeterRegistry registry) {
        this.root = root;
        this.loader = loader;
        this.defaultDevice = defaultDevice;
        this.overrides = overrides;
        this.models = models;
        this.tokens = tokens;
        this.registry = registry;
        // Every outcome's counter exists at zero, so that the first reload of each shows as an increase.
        models.names().forEach(this::modelCounters);
        if (tokens != null) {
            TOKENS_OUTCOMES.forEach(this::tokensCounter);
        }
    }

    /** One reload at a time: a second trigger waits and then sees the repository as it is by then. */
    synchronized ReloadResult reload() {
        List<String> added = new ArrayList<>();
        List<String> replaced = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        Map<String, String> refused = new LinkedHashMap<>();
        List<Path> folders;
        try {
            folders = ModelRepository.modelFolders(root);
        } catch (IOException | RuntimeException e) {
            // An unreadable repository is not an empty one: nothing is removed.
            LOG.log(System.Logger.Level.WARNING, "model reload refused: " + e.getMessage());
            refused.put("", e.getMessage());
            return new ReloadResult(added, replaced, removed, refused, reloadTokens());
        }
        Set<String> present = new HashSet<>();
        for (Path folder : folders) {
            String name = folder.getFileName().toString();
            present.add(name);
            Optional<ServedModel> current = models.current(name);
            try {
                if (current.isPresent() && current.get().version().equals(FolderDigest.of(folder))) {
                    continue;
                }
                ModelRepository.Entry entry = ModelRepository.loadFolder(root, folder, loader, defaultDevice,
                        overrides);
                models.replace(models.serve(entry));
                (current.isPresent() ? replaced : added).add(name);
                count(name, current.isPresent() ? "replaced" : "added");
                LOG.log(System.Logger.Level.INFO, "model '" + name + "' " + (current.isPresent() ? "replaced by"
                        : "added at") + " version " + entry.version());
            } catch (IOException | RuntimeException e) {
                refused.put(name, e.getMessage());
                count(name, "refused");
                LOG.log(System.Logger.Level.WARNING, "model '" + name + "' reload refused, "
                        + current.map(m -> "version " + m.version() + " keeps serving").orElse("not served")
                        + ": " + e.getMessage());
            }
        }
        for (String name : models.names()) {
            if (!present.contains(name)) {
                models.remove(name);
                removed.add(name);
                count(name, "removed");
                LOG.log(System.Logger.Level.INFO, "model '" + name + "' removed");
            }
        }
        return new ReloadResult(added, replaced, removed, refused, reloadTokens());
    }

    private ReloadResult.Tokens reloadTokens() {
        if (tokens == null) {
            return ReloadResult.Tokens.NONE;
        }
        Optional<String> refusal = tokens.reload(new HashSet<>(models.names()));
        tokensCounter(refusal.isEmpty() ? "reloaded" : "refused").increment();
        if (refusal.isPresent()) {
            LOG.log(System.Logger.Level.WARNING, "tokens file refused, the tokens from before stay in force: "
                    + refusal.get());
            return ReloadResult.Tokens.refused(refusal.get());
        }
        LOG.log(System.Logger.Level.INFO, "tokens file " + tokens.file() + " read again");
        return ReloadResult.Tokens.RELOADED;
    }

    private Counter tokensCounter(String outcome) {
        return Counter.builder("prism.tokens.reloads")
                .description("Times the tokens file was read again on a reload, by outcome: reloaded or refused")
                .tags("outcome", outcome)
                .register(registry);
    }

    /** The model's counter of each outcome, registered together so that the others show zero. */
    private Map<String, Counter> modelCounters(String model) {
        Map<String, Counter> byOutcome = new LinkedHashMap<>();
        for (String outcome : MODEL_OUTCOMES) {
            byOutcome.put(outcome, Counter.builder("prism.model.reloads")
                    .description("Model folders reloaded, by outcome: added, replaced, removed or refused")
                    .tags("model", model, "outcome", outcome)
                    .register(registry));
        }
        return byOutcome;
    }

    private void count(String model, String outcome) {
        modelCounters(model).get(outcome).increment();
    }
}
