package health.vigil.modelpackage;

import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.Manifest;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import java.text.Normalizer;
import java.util.List;
import java.util.Map;

/**
 * The most each text and list of an uploaded manifest may hold. Everything in a manifest is stored with its version,
 * answered by the API and drawn on the model card and the dashboard, so the whole file's 1 MiB cap is no bound on
 * what one field makes a reader scroll through. A categorical feature's categories are held to short printable words,
 * each spelled once. Checked at upload only: a version registered before these limits keeps loading from the
 * registry. (The {@code card} section's limits are its record's own, {@code CardFacts}.)
 *
 * <p>The limits leave a real model's documentation room to spare: the clinical models' descriptions run to about
 * 100 characters and their intended uses to 300, they list 3-4 limitations of at most 150 characters, and their
 * trainer writes about 20 provenance parameters whose longest value (the training data's source) is under 200.
 * A refusal names the field, its limit and the size found, never the text.
 */
final class ManifestLimits {
    /** Prose a reviewer reads whole: the description and intended use, as long as a card text. */
    static final int TEXT = 4_000;
    /** One item of prose: a limitation, a feature's description, a code's regular expression, a parameter's value. */
    static final int ITEM = 1_000;
    /** A name or a short label: the owner, the positive class, a commit, a library and its version, a key. */
    static final int LABEL = 200;
    /** As many limitations as the card lists out-of-scope uses. */
    static final int LIMITATIONS = 50;
    /** More inputs than a clinician can check a model's explanation against. */
    static final int FEATURES = 1_000;
    /** Over twenty times what the trainer writes, hyperparameters and data counts included. */
    static final int PARAMETERS = 500;
    /** The libraries a model was trained with, each by name and version; the trainer names a handful. */
    static final int LIBRARIES = 100;
    /** The most categories a categorical feature may list (a code system is a code feature), and their length. */
    static final int CATEGORIES = 1_000;
    static final int CATEGORY = 100;

    private ManifestLimits() {
    }

    /** Refuses the manifest when one of its texts or lists is longer than its limit. */
    static void check(Manifest manifest) {
        text("description", manifest.description(), TEXT);
        text("intendedUse", manifest.intendedUse(), TEXT);
        text("owner", manifest.owner(), LABEL);
        text("featurePipeline", manifest.featurePipeline(), LABEL);
        items("limitations", manifest.limitations(), LIMITATIONS, ITEM);
        features(manifest.features().features());
        output(manifest.output());
        provenance(manifest.provenance());
    }

    private static void features(List<Feature> features) {
        count("features", features.size(), FEATURES);
        for (int i = 0; i < features.size(); i++) {
            Feature feature = features.get(i);
            String field = "features[" + i + "]";
            text(field + ".unit", feature.unit(), LABEL);
            text(field + ".description", feature.description(), ITEM);
            text(field + ".pattern", feature.pattern(), ITEM);
            text(field + ".patternDescription", feature.patternDescription(), ITEM);
            if (feature.categories() != null) {
                categories(feature.name(), feature.categories());
            }
        }
    }

    private static void categories(String feature, List<String> categories) {
        if (categories.size() > CATEGORIES) {
            throw refusedCategories(feature, "lists " + categories.size() + " categories; at most " + CATEGORIES
                    + " (a code system is a code feature)");
        }
        for (String category : categories) {
            if (category.isEmpty() || category.length() > CATEGORY || !Json.isPrintableText(category)) {
                throw refusedCategories(feature, "lists a category that is empty, longer than " + CATEGORY
                        + " characters, or holds control characters or broken text; categories are short printable"
                        + " words such as 'emergency'");
            }
        }
        // Two spellings of one word (é as one character or as e and an accent) read the same to a reviewer and a
        // clinician but would be two inputs to the model.
        if (categories.stream().map(c -> Normalizer.normalize(c, Normalizer.Form.NFC)).distinct().count()
                != categories.size()) {
            throw refusedCategories(feature, "lists a category twice (perhaps in two Unicode spellings of the same"
                    + " word)");
        }
    }

    private static void output(OutputSpec output) {
        text("output.onnxOutput", output.onnxOutput(), LABEL);
        text("output.positiveLabel", output.positiveLabel(), LABEL);
    }

    private static void provenance(Provenance provenance) {
        text("provenance.datasetDateRange", provenance.datasetDateRange(), LABEL);
        text("provenance.codeCommit", provenance.codeCommit(), LABEL);
        text("provenance.trainer", provenance.trainer(), LABEL);
        text("provenance.javaVersion", provenance.javaVersion(), LABEL);
        text("provenance.os", provenance.os(), LABEL);
        entries("provenance.parameters", provenance.parameters(), PARAMETERS, ITEM);
        entries("provenance.libraries", provenance.libraries(), LIBRARIES, LABEL);
    }

    private static void items(String field, List<String> values, int most, int longest) {
        count(field, values.size(), most);
        for (int i = 0; i < values.size(); i++) {
            text(field + "[" + i + "]", values.get(i), longest);
        }
    }

    /** A map's key may be anything its author typed, so an entry is named by its key only when that is a plain name. */
    private static void entries(String field, Map<String, String> values, int most, int longest) {
        count(field, values.size(), most);
        int position = 0;
        for (Map.Entry<String, String> entry : values.entrySet()) {
            position++;
            String key = entry.getKey();
            String which = Json.isPlainName(key) ? "entry '" + key + "'" : "entry " + position + " (in sorted key order)";
            if (key.length() > LABEL) {
                throw refused("the key of " + which + " of field '" + field + "' has " + key.length() + " characters;"
                        + " at most " + LABEL + " are kept: a key is a short name such as 'gbt.maxDepth'");
            }
            String value = entry.getValue();
            if (value != null && value.length() > longest) {
                throw refused("the value of " + which + " of field '" + field + "' has " + value.length()
                        + " characters; at most " + longest + " are kept: shorten it, or put it in a document the"
                        + " manifest names");
            }
        }
    }

    private static void count(String field, int size, int most) {
        if (size > most) {
            throw refused("field '" + field + "' has " + size + " entries; at most " + most + " are kept: keep the ones"
                    + " a reviewer needs and put the rest in a document the manifest names");
        }
    }

    private static void text(String field, String value, int longest) {
        if (value != null && value.length() > longest) {
            throw refused("field '" + field + "' has " + value.length() + " characters; at most " + longest
                    + " are kept: shorten it, or put the whole text in a document the manifest names");
        }
    }

    private static PackageRejectedException refusedCategories(String feature, String problem) {
        return new PackageRejectedException(Reason.INVALID_MANIFEST, "manifest.json: categorical feature '" + feature
                + "' " + problem);
    }

    private static PackageRejectedException refused(String problem) {
        return new PackageRejectedException(Reason.INVALID_MANIFEST, "manifest.json: " + problem
                + "; the manifest is stored with the version and shown on its model card, so each of its fields is"
                + " bounded");
    }
}
