package dev.prism.repository;

import dev.prism.batch.BatchingSettings;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The models of a repository folder: one sub-folder per model holding {@code model.onnx} or a
 * config naming an Open Inference Protocol backend that serves the model, an optional config and an
 * optional background CSV. Loading fails as a whole, naming the folder,
 * when one model cannot serve: a server that starts without a model it was given hides the error.
 * No file is read from outside the repository (see {@link RepositoryBounds}).
 */
public final class ModelRepository implements AutoCloseable {
    public static final String MODEL_FILE = "model.onnx";
    static final String DEFAULT_BACKGROUND = "background.csv";

    /**
     * A loaded model with what the server needs beside it.
     *
     * @param categoricalFeatures indices of the features declared categorical, ascending
     * @param baseline            the configured reference input of the gradient methods, one value per
     *                            element, or null when none is configured
     * @param version             the folder's {@link FolderDigest} when it was read
     * @param reference           the reference set of explanations by example, or null when none is configured
     * @param embeddingOutput     the graph output holding an instance's embedding, or null when none is configured
     */
    public record Entry(String name, Model model, Background background, BatchingSettings batching,
                        int[] categoricalFeatures, double[] baseline, String version, ReferenceRows reference,
                        String embeddingOutput) {
        public Entry {
            categoricalFeatures = categoricalFeatures.clone();
            baseline = baseline == null ? null : baseline.clone();
        }

        @Override
        public int[] categoricalFeatures() {
            return categoricalFeatures.clone();
        }

        @Override
        public double[] baseline() {
            return baseline == null ? null : baseline.clone();
        }

        /** The configured baseline, or empty when the model has none. */
        public Optional<double[]> defaultBaseline() {
            return Optional.ofNullable(baseline());
        }

        /** The reference set, or empty when the config names none. */
        public Optional<ReferenceRows> referenceSet() {
            return Optional.ofNullable(reference);
        }

        /** The default background, or empty when the model has none. */
        public Optional<Background> defaultBackground() {
            return Optional.ofNullable(background);
        }
    }

    private final Map<String, Entry> entries;

    private ModelRepository(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Loads every model under root.
     *
     * @param overrides applied to each folder's settings (e.g. batching limits from the command line)
     */
    public static ModelRepository load(Path root, ModelLoader loader, String defaultDevice,
                                       UnaryOperator<ModelSettings> overrides) throws IOException {
        List<Path> folders = modelFolders(root);
        if (folders.isEmpty()) {
            throw new IllegalArgumentException("model repository " + root + " has no <name>/" + MODEL_FILE
                    + " and no <name>/" + ModelConfigReader.TEXT + " or " + ModelConfigReader.JSON
                    + " naming an open_inference_backend");
        }
        RepositoryBounds bounds = new RepositoryBounds(root);
        Map<String, Entry> entries = new TreeMap<>();
        try {
            for (Path folder : folders) {
                Entry e = loadOne(folder, bounds, loader, defaultDevice, overrides);
                entries.put(e.name(), e);
            }
        } catch (RuntimeException | IOException e) {
            entries.values().forEach(entry -> entry.model().close());
            throw e;
        }
        return new ModelRepository(entries);
    }

    /**
     * The folders of root that hold a model file or a config, sorted. A config without a model file
     * must name a backend: such a folder is a load error, not a folder passed over.
     */
    public static List<Path> modelFolders(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("model repository " + root + " is not a folder");
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(MODEL_FILE))
                    || Files.isRegularFile(p.resolve(ModelConfigReader.JSON))
                    || Files.isRegularFile(p.resolve(ModelConfigReader.TEXT))).sorted().toList();
        }
    }

    /**
     * Loads the model of one folder of root on its own (a reload); the caller owns the entry's model.
     *
     * @throws IllegalArgumentException naming the folder, when it cannot serve
     */
    public static Entry loadFolder(Path root, Path folder, ModelLoader loader, String defaultDevice,
                                   UnaryOperator<ModelSettings> overrides) throws IOException {
        return loadOne(folder, new RepositoryBounds(root), loader, defaultDevice, overrides);
    }

    private static Entry loadOne(Path folder, RepositoryBounds bounds, ModelLoader loader, String defaultDevice,
                                 UnaryOperator<ModelSettings> overrides) throws IOException {
        String name = folder.getFileName().toString();
        try {
            bounds.confine(folder, "model folder");
            // Read before the files, so that a change while loading shows as a new version next time.
            String version = FolderDigest.of(folder);
            for (String config : new String[] {ModelConfigReader.JSON, ModelConfigReader.TEXT}) {
                if (RepositoryBounds.present(folder.resolve(config))) {
                    bounds.confine(folder.resolve(config), "config");
                }
            }
            ModelSettings settings = overrides.apply(ModelConfigReader.read(folder));
            String device = settings.device() != null ? settings.device() : defaultDevice;
            Path modelFile = folder.resolve(MODEL_FILE);
            BackgroundFile backgroundFile = new BackgroundFile(folder, settings.backgroundFile(), bounds);
            Model model;
            if (settings.backend() != null) {
                if (RepositoryBounds.present(modelFile)) {
                    throw new IllegalArgumentException("the folder holds " + MODEL_FILE
                            + " and its config names an open_inference_backend; keep one");
                }
                model = loader.connect(settings.backend().resolvedIn(folder, name, bounds), settings);
            } else {
                if (!RepositoryBounds.present(modelFile)) {
                    throw new IllegalArgumentException("the folder has a config but no " + MODEL_FILE
                            + ", and the config names no open_inference_backend");
                }
                bounds.confine(modelFile, "model file");
                try {
                    model = loader.load(modelFile, settings, device, backgroundFile);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }
            try {
                Background background = backgroundFile.read(model.signature()).orElse(null);
                return new Entry(name, model, background, settings.batching(),
                        categoricalIndices(settings.categoricalFeatures(), model.signature().featureNames()),
                        baseline(settings.baseline(), model.signature()), version,
                        reference(folder, settings, bounds, model.signature()), settings.embeddingOutput());
            } catch (UncheckedIOException e) {
                model.close();
                throw e.getCause();
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model '" + name + "' (" + folder + "): " + e.getMessage(), e);
        }
    }

    /**
     * A folder's default background: the configured file, which must exist, or background.csv when
     * present. Read once, by the loader or after it; an IOException comes out unchecked.
     */
    private static final class BackgroundFile implements ModelLoader.DefaultBackground {
        private final Path folder;
        private final String configured;
        private final RepositoryBounds bounds;
        private boolean read;
        private Background background;

        BackgroundFile(Path folder, String configured, RepositoryBounds bounds) {
            this.folder = folder;
            this.configured = configured;
            this.bounds = bounds;
        }

        @Override
        public Optional<Background> read(ModelSignature signature) {
            if (!read) {
                Path file = configured != null
                        ? RepositoryBounds.relativeInFolder(folder, configured, "background_file")
                        : folder.resolve(DEFAULT_BACKGROUND);
                if (configured != null && !RepositoryBounds.present(file)) {
                    throw new IllegalArgumentException("background file " + file + " does not exist");
                }
                try {
                    if (RepositoryBounds.present(file)) {
                        bounds.confine(file, "background file");
                        background = Background.uniform(BackgroundCsv.read(file, signature.featureCount()));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                read = true;
            }
            return Optional.ofNullable(background);
        }
    }

    /** The configured reference file, which must exist, read; null when none is configured. */
    private static ReferenceRows reference(Path folder, ModelSettings settings, RepositoryBounds bounds,
                                           ModelSignature signature) throws IOException {
        if (settings.referenceFile() == null) {
            if (settings.referenceLabelColumn() != null) {
                throw new IllegalArgumentException("reference_label_column is set but reference_file is not");
            }
            if (settings.embeddingOutput() != null) {
                throw new IllegalArgumentException("embedding_output is set but reference_file is not: embeddings"
                        + " are compared with the reference set's");
            }
            return null;
        }
        Path file = RepositoryBounds.relativeInFolder(folder, settings.referenceFile(), "reference_file");
        if (!RepositoryBounds.present(file)) {
            throw new IllegalArgumentException("reference file " + file + " does not exist");
        }
        bounds.confine(file, "reference file");
        return ReferenceCsv.read(file, signature.featureCount(), settings.referenceLabelColumn(),
                settings.maxReferenceRows());
    }

    private static int[] categoricalIndices(List<String> names, List<String> features) {
        int[] out = new int[names.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = features.indexOf(names.get(i));
            if (out[i] < 0) {
                throw new IllegalArgumentException("categorical feature '" + names.get(i)
                        + "' is not one of the feature names " + features);
            }
        }
        return java.util.Arrays.stream(out).sorted().distinct().toArray();
    }

    /** The configured baseline spread over every element, or null when none is configured. */
    private static double[] baseline(List<Double> values, ModelSignature signature) {
        if (values.isEmpty()) {
            return null;
        }
        int elements = signature.featureCount();
        if (values.size() != 1 && values.size() != elements) {
            throw new IllegalArgumentException("baseline has " + values.size() + " values; input '"
                    + signature.explainedInput().name() + "' has " + elements
                    + " elements per instance: give one value per element or a single value for all");
        }
        double[] row = new double[elements];
        for (int e = 0; e < elements; e++) {
            row[e] = values.get(values.size() == 1 ? 0 : e);
            if (!Double.isFinite(row[e])) {
                throw new IllegalArgumentException("baseline value " + e + " is " + row[e] + "; values must be finite");
            }
        }
        return row;
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** All entries, sorted by name. */
    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    @Override
    public void close() {
        entries.values().forEach(e -> e.model().close());
    }
}
