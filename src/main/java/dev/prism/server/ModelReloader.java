package dev.prism.server;

import dev.prism.error.ClientText;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.repository.FolderDigest;
import dev.prism.repository.ModelLoader;
import dev.prism.repository.ModelRepository;
import dev.prism.repository.ModelSettings;
import dev.prism.server.security.TokensFile;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Brings the served models in line with the repository folder: a new folder is loaded and served,
 * a changed one (by {@link FolderDigest}) is loaded beside the version serving now and swapped in
 * only once it loaded and validated, and a removed one stops taking requests. A folder that fails
 * to load is refused with its reason logged, and whatever served its name before keeps serving.
 * One folder can also be loaded on its own, or unloaded: an unloaded name stays out of every
 * reload until it is loaded again.
 *
 * <p>Reloads, loads and unloads hold this object's lock, one at a time. The unloaded names and the
 * failures are concurrent collections, so that the index reads them without the lock.
 */
final class ModelReloader {
    private static final System.Logger LOG = System.getLogger(ModelReloader.class.getName());
    private static final List<String> MODEL_OUTCOMES = List.of("added", "replaced", "removed", "refused",
            "unloaded");
    private static final List<String> TOKENS_OUTCOMES = List.of("reloaded", "refused");

    private final Path root;
    private final ModelLoader loader;
    private final String defaultDevice;
    private final UnaryOperator<ModelSettings> overrides;
    private final ServedModels models;
    /** Read again after the models, against the names served or unloaded then; null without a tokens file. */
    private final TokensFile tokens;
    private final MeterRegistry registry;
    /** Names unloaded on request: reloads leave their folders out until a load asks for them again. */
    private final Set<String> unloaded = ConcurrentHashMap.newKeySet();
    /** Why each folder failed to load, until it loads or its folder goes; read by the index. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();

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
            if (unloaded.contains(name)) {
                continue;
            }
            try {
                String outcome = bringUpToDate(folder);
                if (outcome != null) {
                    (outcome.equals("added") ? added : replaced).add(name);
                }
            } catch (IOException | RuntimeException e) {
                refused.put(name, refuse(name, e));
            }
        }
        failures.keySet().retainAll(present);
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

    /**
     * Loads or reloads the one folder of that name as a reload does (a changed folder is swapped in
     * once it loaded; one that fails is refused and the version serving keeps serving), and serves
     * it again after an {@link #unload}. An unchanged folder that serves stays as it is. The tokens
     * file is read again by whole reloads only.
     *
     * @throws PrismException MODEL_NOT_FOUND when the repository has no such folder, MODEL_LOAD_FAILED
     *                        with the reason when it cannot be served
     */
    synchronized void load(String name) {
        Path folder = folders().get(name);
        if (folder == null) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "the model repository has no folder "
                    + ClientText.quote(name) + " with a " + ModelRepository.MODEL_FILE + " or a config");
        }
        unloaded.remove(name);
        try {
            bringUpToDate(folder);
        } catch (IOException | RuntimeException e) {
            String why = refuse(name, e);
            throw new PrismException(Reason.MODEL_LOAD_FAILED, models.current(name)
                    .map(m -> "version " + m.version() + " keeps serving; ").orElse("") + why, e);
        }
    }

    /**
     * Stops serving the name, as a removed folder stops (its running requests finish on it), and
     * keeps it out of whole reloads until {@link #load} asks for it again. A folder that is not
     * served now stays unserved.
     *
     * @throws PrismException MODEL_NOT_FOUND when the name is neither served nor a folder of the repository
     */
    synchronized void unload(String name) {
        boolean served = models.current(name).isPresent();
        if (!served && !folders().containsKey(name)) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "no model " + ClientText.quote(name)
                    + " is served or in the model repository");
        }
        unloaded.add(name);
        if (served) {
            models.remove(name);
            count(name, "unloaded");
            LOG.log(System.Logger.Level.INFO, "model '" + name + "' unloaded; reloads leave it out until it is"
                    + " loaded again");
        }
    }

    /**
     * Every model folder of the repository and every served model, by name: what serves it, or why
     * nothing does. Not synchronized, so that it answers during a long load; a name being loaded
     * or unloaded then shows as it was before or as it is after.
     */
    List<Folder> index() {
        Map<String, Folder> byName = new TreeMap<>();
        for (String name : folders().keySet()) {
            byName.put(name, folder(name));
        }
        for (String name : models.names()) {
            byName.put(name, folder(name));
        }
        return List.copyOf(byName.values());
    }

    /**
     * A model folder of the repository, or a served model.
     *
     * @param served the version serving its name, or null
     * @param reason why nothing serves it ("" while a version serves)
     */
    record Folder(String name, ServedModel served, String reason) {}

    private Folder folder(String name) {
        Optional<ServedModel> served = models.current(name);
        if (served.isPresent()) {
            return new Folder(name, served.get(), "");
        }
        String reason = unloaded.contains(name) ? "unloaded; loading it serves it again"
                : failures.getOrDefault(name, "not loaded yet: the folder appeared after the last reload");
        return new Folder(name, null, reason);
    }

    /** The repository's model folders by name. */
    private Map<String, Path> folders() {
        Map<String, Path> byName = new TreeMap<>();
        try {
            for (Path folder : ModelRepository.modelFolders(root)) {
                byName.put(folder.getFileName().toString(), folder);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byName;
    }

    /**
     * Serves the folder's content unless its name serves that version already: loaded beside the
     * version serving, then swapped in.
     *
     * @return the outcome counted, "added" or "replaced", or null when the folder is unchanged
     */
    private String bringUpToDate(Path folder) throws IOException {
        String name = folder.getFileName().toString();
        Optional<ServedModel> current = models.current(name);
        if (current.isPresent() && current.get().version().equals(FolderDigest.of(folder))) {
            return null;
        }
        ModelRepository.Entry entry = ModelRepository.loadFolder(root, folder, loader, defaultDevice, overrides);
        models.replace(models.serve(entry));
        failures.remove(name);
        String outcome = current.isPresent() ? "replaced" : "added";
        count(name, outcome);
        LOG.log(System.Logger.Level.INFO, "model '" + name + "' " + (current.isPresent() ? "replaced by"
                : "added at") + " version " + entry.version());
        return outcome;
    }

    /** Records and counts a folder that failed to load; returns why. */
    private String refuse(String name, Exception e) {
        String why = e.getMessage() != null ? e.getMessage() : e.toString();
        failures.put(name, why);
        count(name, "refused");
        LOG.log(System.Logger.Level.WARNING, "model '" + name + "' refused, " + models.current(name)
                .map(m -> "version " + m.version() + " keeps serving").orElse("not served") + ": " + why);
        return why;
    }

    private ReloadResult.Tokens reloadTokens() {
        if (tokens == null) {
            return ReloadResult.Tokens.NONE;
        }
        // An unloaded model is still the repository's: a token may keep naming it.
        Set<String> names = new HashSet<>(models.names());
        names.addAll(unloaded);
        Optional<String> refusal = tokens.reload(names);
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
                    .description("Model folders reloaded, by outcome: added, replaced, removed, refused or"
                            + " unloaded")
                    .tags("model", model, "outcome", outcome)
                    .register(registry));
        }
        return byOutcome;
    }

    private void count(String model, String outcome) {
        modelCounters(model).get(outcome).increment();
    }
}
