package health.vigil.modelpackage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.adapter.onnx.TestModels;
import health.vigil.config.VigilConfig;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.StoreException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.model.OutputSpec;
import health.vigil.model.ReferenceProfile;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
import health.vigil.features.FeaturePipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ZipModelPackageReaderTest {
    private static final VigilConfig.Limits LIMITS = VigilConfig.Limits.DEFAULTS;
    private static OrtModelRuntime runtime;
    private static SamplePackage sample;
    private static byte[] manifest;
    private static byte[] reference;
    private static byte[] model;
    private static ZipModelPackageReader reader;

    @BeforeAll
    static void start() {
        runtime = new OrtModelRuntime();
        reader = new ZipModelPackageReader(runtime, LIMITS);
        sample = SampleModels.readmissionLogistic();
        manifest = ModelPackageWriter.json(sample.manifest());
        reference = ModelPackageWriter.json(sample.reference());
        model = sample.onnx();
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void acceptsAValidPackageAndRecordsItsHashes() {
        byte[] zip = sample.zip();

        ModelPackage read = reader.read(new ByteArrayInputStream(zip));

        assertThat(read.manifest()).isEqualTo(sample.manifest());
        assertThat(read.reference()).isEqualTo(sample.reference());
        assertThat(read.onnx()).isEqualTo(model);
        assertThat(read.packageSha256()).isEqualTo(Sha256.hex(zip));
        assertThat(read.modelSha256()).isEqualTo(Sha256.hex(model));
        assertThat(read.packageSize()).isEqualTo(zip.length);
        assertThat(read.signature().inputs()).singleElement().satisfies(t -> assertThat(t.shape()).containsExactly(-1, 6));
    }

    @Test
    void acceptsADeflatedZipAsCommonToolsWriteIt() throws IOException {
        SamplePackage trees = SampleModels.readmissionTrees();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var entry : List.of(
                    new Object[] {"reference.json", ModelPackageWriter.json(trees.reference())},
                    new Object[] {"model.onnx", trees.onnx()},
                    new Object[] {"manifest.json", ModelPackageWriter.json(trees.manifest())})) {
                zip.putNextEntry(new ZipEntry((String) entry[0]));
                zip.write((byte[]) entry[1]);
                zip.closeEntry();
            }
        }

        ModelPackage read = reader.read(new ByteArrayInputStream(bytes.toByteArray()));

        assertThat(read.manifest()).isEqualTo(trees.manifest());
        assertThat(read.packageSha256()).isEqualTo(Sha256.hex(bytes.toByteArray()));
    }

    @Test
    void rejectsWhatIsNotAZip() {
        assertRejected(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, Reason.NOT_A_ZIP, "not a zip");
        assertRejected(manifest, Reason.NOT_A_ZIP, "not a zip");
        byte[] zip = sample.zip();
        assertRejected(java.util.Arrays.copyOf(zip, zip.length / 2), Reason.NOT_A_ZIP, "not a readable zip");
        assertRejected(new byte[0], Reason.NOT_A_ZIP, "not a zip");
    }

    @Test
    void rejectsAPackageLargerThanTheLimitWhileReadingIt() {
        byte[] zip = sample.zip();
        ZipModelPackageReader small = new ZipModelPackageReader(runtime, limits(zip.length - 1, LIMITS.maxUncompressedBytes(), 16));
        CountingStream in = new CountingStream(zip);

        assertThatThrownBy(() -> small.read(in)).isInstanceOfSatisfying(PackageRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE)).hasMessageContaining(Long.toString(zip.length - 1));
        assertThat(new ZipModelPackageReader(runtime, limits(zip.length, LIMITS.maxUncompressedBytes(), 16))
                .read(new ByteArrayInputStream(zip)).packageSize()).isEqualTo(zip.length);
    }

    @Test
    void rejectsAZipBombByCountingInflatedBytesNotTrustingTheHeaders() {
        byte[] zeros = new byte[20 * 1024 * 1024];
        byte[] bomb = new RawZip().stored("manifest.json", manifest)
                .deflated("model.onnx", zeros, 1000) // the headers claim 1000 bytes
                .stored("reference.json", reference).bytes();
        assertThat(bomb.length).as("the bomb is small on the wire").isLessThan(100_000);
        ZipModelPackageReader guarded = new ZipModelPackageReader(runtime, limits(LIMITS.maxPackageBytes(), 8 * 1024 * 1024, 16));

        assertThatThrownBy(() -> guarded.read(new ByteArrayInputStream(bomb)))
                .isInstanceOfSatisfying(PackageRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("inflates to more than 8388608 bytes").hasMessageContaining("model.onnx");
    }

    @Test
    void theInflationLimitCountsAllEntriesTogether() {
        byte[] zip = new RawZip().deflated("manifest.json", manifest, manifest.length)
                .deflated("model.onnx", model, model.length).deflated("reference.json", reference, reference.length).bytes();
        long justBelow = manifest.length + model.length + reference.length - 1;

        assertThatThrownBy(() -> new ZipModelPackageReader(runtime, limits(LIMITS.maxPackageBytes(), justBelow, 16))
                .read(new ByteArrayInputStream(zip))).isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE)).hasMessageContaining("reference.json");
        assertThat(new ZipModelPackageReader(runtime, limits(LIMITS.maxPackageBytes(), justBelow + 1, 16))
                .read(new ByteArrayInputStream(zip)).manifest()).isEqualTo(sample.manifest());
    }

    @Test
    void rejectsMoreEntriesThanAllowed() {
        byte[] zip = sample.zip();
        assertThatThrownBy(() -> new ZipModelPackageReader(runtime, limits(LIMITS.maxPackageBytes(), LIMITS.maxUncompressedBytes(), 2))
                .read(new ByteArrayInputStream(zip))).isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_ENTRIES)).hasMessageContaining("more than 2 entries");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../model.onnx", "/model.onnx", "models\\model.onnx", "C:model.onnx", "c:/model.onnx",
            "a/../../etc/passwd", "model.onnx\u0000.txt"})
    void rejectsEntryNamesThatCouldEscapeAFolder(String name) {
        byte[] zip = new RawZip().stored("manifest.json", manifest).stored(name, model).stored("reference.json", reference).bytes();
        assertRejected(zip, Reason.UNSAFE_ENTRY_NAME, "are not allowed");
    }

    @Test
    void rejectsAnEntryThatAppearsTwice() {
        byte[] zip = new RawZip().stored("manifest.json", manifest).stored("model.onnx", model)
                .stored("manifest.json", manifest).stored("reference.json", reference).bytes();
        assertRejected(zip, Reason.DUPLICATE_ENTRY, "'manifest.json' twice");
    }

    @Test
    void rejectsAPackageWithoutEveryEntry() {
        assertRejected(new RawZip().stored("manifest.json", manifest).stored("model.onnx", model).bytes(),
                Reason.MISSING_ENTRY, "no reference.json");
        assertRejected(new RawZip().stored("model.onnx", model).bytes(), Reason.MISSING_ENTRY, "no manifest.json, reference.json");
        assertRejected(new RawZip().bytes(), Reason.MISSING_ENTRY, "empty zip");
    }

    @Test
    void rejectsEntriesThatDoNotBelong() {
        assertRejected(new RawZip().stored("manifest.json", manifest).stored("model.onnx", model)
                .stored("reference.json", reference).stored("notes.txt", new byte[] {'h', 'i'}).bytes(),
                Reason.UNEXPECTED_ENTRY, "'notes.txt'");
        assertRejected(new RawZip().stored("manifest.json", manifest).stored("model.onnx", model)
                .stored("reference.json", reference).stored("notes.txt", new byte[] {'h', 'i'}).bytes(),
                Reason.UNEXPECTED_ENTRY, "may hold evaluation.json, and nothing else");
        assertRejected(new RawZip().stored("package/", new byte[0]).stored("manifest.json", manifest).bytes(),
                Reason.UNEXPECTED_ENTRY, "'package/'");
    }

    // A whole zip whose entries another archiver compressed with LZMA (or bzip2, Zstandard) is not "cut short": its
    // author is told which compression to use instead.
    @Test
    void anEntryCompressedWithAMethodOtherThanDeflateIsRefusedNamingDeflate() {
        byte[] zip = new RawZip().stored("manifest.json", manifest).compressed("model.onnx", model, new byte[] {1, 2, 3}, 14)
                .stored("reference.json", reference).bytes();
        assertRejected(zip, Reason.NOT_A_ZIP, "compressed with a method Vigil does not read");
        assertRejected(zip, Reason.NOT_A_ZIP, "build the zip again with deflate");
    }

    @Test
    void aManifestThatIsNotJsonIsMalformedWithItsLineAndColumn() {
        byte[] broken = "{\n  \"formatVersion\": 1,\n  \"name\": ,\n}".getBytes(StandardCharsets.UTF_8);
        assertRejected(withManifest(broken), Reason.MALFORMED_MANIFEST, "line 3, column");
        assertRejected(withManifest("  ".getBytes(StandardCharsets.UTF_8)), Reason.MALFORMED_MANIFEST, "empty");
    }

    @Test
    void aManifestWithAMissingOrWrongFieldNamesTheField() {
        assertRejected(withManifest(editedManifest(m -> m.remove("owner"))), Reason.INVALID_MANIFEST, "owner");
        assertRejected(withManifest(editedManifest(m -> m.put("formatVersion", "one"))), Reason.INVALID_MANIFEST, "formatVersion");
        assertRejected(withManifest(editedManifest(m -> m.put("colour", "blue"))), Reason.INVALID_MANIFEST, "'colour'");
        assertRejected(withManifest(editedManifest(m -> ((ObjectNode) m.get("features").get(1)).put("type", "float"))),
                Reason.INVALID_MANIFEST, "field 'features[1].type'");
        assertRejected(withManifest(editedManifest(m -> m.remove("output"))), Reason.INVALID_MANIFEST, "output is missing");
        assertRejected(withManifest(editedManifest(m -> ((ObjectNode) m.get("provenance")).put("datasetSha256", "abc"))),
                Reason.INVALID_MANIFEST, "provenance.datasetSha256");
    }

    @Test
    void aManifestWhoseTextHidesOrRewritesWhatItSaysIsRefusedByFieldAndCodePoint() {
        String words = "Not for use in children";
        assertHiddenCharacterRefused(m -> m.put("description", words + "\u202E"), "field 'description'", "U+202E");
        assertHiddenCharacterRefused(m -> m.put("intendedUse", words + "\u001B[2K"), "field 'intendedUse'", "U+001B");
        assertHiddenCharacterRefused(m -> m.putArray("limitations").add(words).add("\u2066" + words),
                "field 'limitations[1]'", "U+2066");
        assertHiddenCharacterRefused(m -> m.put("owner", "\u200F" + words), "field 'owner'", "U+200F");
        assertHiddenCharacterRefused(m -> m.putObject("card").put("fairnessApproach", words + "\u061C"),
                "field 'card.fairnessApproach'", "U+061C");
        assertHiddenCharacterRefused(m -> m.putObject("card").putArray("outOfScopeUses").add(words + "\u2028"),
                "field 'card.outOfScopeUses[0]'", "U+2028");
        assertHiddenCharacterRefused(m -> ((ObjectNode) m.get("output")).put("positiveLabel", words + "\u200B"),
                "field 'output.positiveLabel'", "U+200B");
        assertHiddenCharacterRefused(m -> ((ObjectNode) m.get("features").get(0)).put("description", words + "\u0085"),
                "field 'features[0].description'", "U+0085");
        assertHiddenCharacterRefused(m -> m.put("description", words + "\r" + words), "field 'description'", "U+000D");
        assertHiddenCharacterRefused(m -> m.put("description", words + "\uDB40\uDC41"), "field 'description'", "U+E0041");
        assertHiddenCharacterRefused(m -> m.put("description", words + "\uD800"), "field 'description'", "U+D800");
        assertHiddenCharacterRefused(m -> m.put("owner", "clinical-ml\n" + words), "field 'owner'", "U+000A");
        assertHiddenCharacterRefused(m -> ((ObjectNode) m.get("provenance")).putObject("parameters").put("depth\u202E", "4"),
                "a key of field 'provenance.parameters'", "U+202E");
    }

    @Test
    void aManifestFieldLongerThanItsLimitIsRefusedByFieldLimitAndSizeNeverByItsText() {
        String filler = "Not for use in children. ";
        assertOverLimit(m -> m.put("description", text(filler, 900_000)), "field 'description' has 900000 characters",
                "at most 4000");
        assertOverLimit(m -> m.put("intendedUse", text(filler, 4_001)), "field 'intendedUse' has 4001 characters",
                "at most 4000");
        assertOverLimit(m -> m.put("owner", text(filler, 201)), "field 'owner' has 201 characters", "at most 200");
        assertOverLimit(m -> {
            var limitations = m.putArray("limitations");
            for (int i = 0; i < 100_000; i++) {
                limitations.add("x");
            }
        }, "field 'limitations' has 100000 entries", "at most 50");
        assertOverLimit(m -> {
            var features = m.putArray("features");
            for (int i = 0; i < 1_001; i++) {
                features.addObject().put("name", "f" + i).put("type", "numeric").put("required", false);
            }
        }, "field 'features' has 1001 entries", "at most 1000");
        assertOverLimit(m -> m.putArray("limitations").add(filler).add(text(filler, 1_001)),
                "field 'limitations[1]' has 1001 characters", "at most 1000");
        assertOverLimit(m -> ((ObjectNode) m.get("features").get(2)).put("description", text(filler, 5_000)),
                "field 'features[2].description' has 5000 characters", "at most 1000");
        assertOverLimit(m -> ((ObjectNode) m.get("features").get(0)).put("unit", text(filler, 300)),
                "field 'features[0].unit' has 300 characters", "at most 200");
        assertOverLimit(m -> ((ObjectNode) m.get("output")).put("positiveLabel", text(filler, 250)),
                "field 'output.positiveLabel' has 250 characters", "at most 200");
        assertOverLimit(m -> ((ObjectNode) m.get("provenance")).put("trainer", text(filler, 10_000)),
                "field 'provenance.trainer' has 10000 characters", "at most 200");
        assertOverLimit(m -> {
            ObjectNode parameters = ((ObjectNode) m.get("provenance")).putObject("parameters");
            for (int i = 0; i < 15_000; i++) {
                parameters.put("p" + i, "1");
            }
        }, "field 'provenance.parameters' has 15000 entries", "at most 500");
        assertOverLimit(m -> ((ObjectNode) m.get("provenance")).putObject("parameters").put("notes", text(filler, 1_500)),
                "the value of entry 'notes' of field 'provenance.parameters' has 1500 characters", "at most 1000");
        assertOverLimit(m -> ((ObjectNode) m.get("provenance")).putObject("libraries").put("onnx.version", text(filler, 201)),
                "the value of entry 1 (in sorted key order) of field 'provenance.libraries' has 201 characters",
                "at most 200");
        assertOverLimit(m -> ((ObjectNode) m.get("provenance")).putObject("parameters").put(text(filler, 300), "4"),
                "the key of entry 1 (in sorted key order) of field 'provenance.parameters' has 300 characters",
                "at most 200");
    }

    @Test
    void aCategoricalFeatureListsShortPrintableCategoriesEachSpelledOnce() {
        for (String bad : new String[] {"", "x".repeat(101), "emer\u001bgency", "line\nbreak", "evil\u202etxt",
                "z\ud800"}) {
            assertManifestRefused(m -> admissionTypes(m).add(bad)).as(bad.length() > 20 ? "long" : bad)
                    .hasMessageContaining("categorical feature 'admission_type' lists a category that is");
        }
        // é as one character, and as e followed by a combining accent: the same word to a reader, two model inputs.
        assertManifestRefused(m -> admissionTypes(m).add("caf\u00e9").add("cafe\u0301"))
                .hasMessageContaining("categorical feature 'admission_type' lists a category twice");
        assertManifestRefused(m -> admissionTypes(m).add("emergency").add("emergency"))
                .hasMessageContaining("lists a category twice");
        assertManifestRefused(m -> {
            ArrayNode categories = admissionTypes(m);
            IntStream.range(categories.size(), 1_001).forEach(i -> categories.add("c" + i));
        }).hasMessageContaining("lists 1001 categories; at most 1000");

        byte[] atTheLimit = editedManifest(m -> {
            ArrayNode categories = admissionTypes(m);
            IntStream.range(categories.size(), 1_000).forEach(i -> categories.add("c" + i));
        });
        Manifest read = reader.read(new ByteArrayInputStream(withManifest(atTheLimit))).manifest();
        assertThat(read.features().features().get(4).categories()).hasSize(1_000);
    }

    /** The sample's categories of {@code admission_type}, to add to. */
    private static ArrayNode admissionTypes(ObjectNode manifest) {
        JsonNode feature = manifest.get("features").get(4);
        assertThat(feature.get("name").asText()).isEqualTo("admission_type");
        return (ArrayNode) feature.get("categories");
    }

    @Test
    void aManifestAtEveryLimitIsAccepted() {
        String filler = "Readmission risk at discharge. ";
        byte[] full = editedManifest(m -> {
            m.put("description", text(filler, 4_000));
            m.put("intendedUse", text(filler, 4_000));
            m.put("owner", text(filler, 200));
            var limitations = m.putArray("limitations");
            for (int i = 0; i < 50; i++) {
                limitations.add(text(filler, 1_000));
            }
            ((ObjectNode) m.get("features").get(0)).put("description", text(filler, 1_000));
            ObjectNode parameters = ((ObjectNode) m.get("provenance")).putObject("parameters");
            for (int i = 0; i < 500; i++) {
                parameters.put("p" + i, text(filler, 1_000));
            }
        });

        Manifest read = reader.read(new ByteArrayInputStream(withManifest(full))).manifest();

        assertThat(read.description()).hasSize(4_000);
        assertThat(read.limitations()).hasSize(50);
        assertThat(read.provenance().parameters()).hasSize(500);
    }

    private static void assertOverLimit(Consumer<ObjectNode> edit, String fieldAndSize, String limit) {
        assertManifestRefused(edit).hasMessageContaining(fieldAndSize).hasMessageContaining(limit);
    }

    /** The sample package with its manifest edited is refused as an invalid manifest, never repeating its text. */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertManifestRefused(Consumer<ObjectNode> edit) {
        return assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(withManifest(editedManifest(edit)))))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_MANIFEST))
                .hasMessageNotContaining("children");
    }

    /** {@code length} characters of {@code words} repeated. */
    private static String text(String words, int length) {
        return words.repeat(length / words.length() + 1).substring(0, length);
    }

    @Test
    void aManifestsLongerTextsMayHoldTabsAndLineBreaks() {
        byte[] multiLine = editedManifest(m -> {
            m.put("description", "Predicts readmission.\r\nTrained on 2019-2023 discharges.\n\tSee the card.");
            m.putArray("limitations").add("Not validated\nin children");
            m.putObject("card").put("exclusionCriteria", "Hospice discharges;\r\n\ttransfers.");
        });

        ModelPackage read = reader.read(new ByteArrayInputStream(withManifest(multiLine)));

        assertThat(read.manifest().description()).contains("\r\n").contains("\t");
        assertThat(read.manifest().cardFacts().exclusionCriteria()).contains("\r\n\t");
    }

    private static void assertHiddenCharacterRefused(Consumer<ObjectNode> edit, String field, String codePoint) {
        assertManifestRefused(edit)
                .hasMessageContaining(field)
                .hasMessageContaining(codePoint)
                .hasMessageContaining("remove it")
                .hasMessageNotContaining("Not for use");
    }

    @Test
    void aManifestOrReferenceProfileThatIsTheJsonNullIsRefused() {
        byte[] nul = "  null \n".getBytes(StandardCharsets.UTF_8);
        assertRejected(zip(nul, model, reference), Reason.MALFORMED_MANIFEST, "manifest.json is the JSON literal null");
        assertRejected(zip(manifest, model, nul), Reason.MALFORMED_REFERENCE, "reference.json is the JSON literal null");
    }

    @Test
    void aBrokenReferenceProfileIsMalformed() {
        assertRejected(zip(manifest, model, "[1, 2".getBytes(StandardCharsets.UTF_8)), Reason.MALFORMED_REFERENCE, "line 1");
        assertRejected(zip(manifest, model, "{\"rows\": 0}".getBytes(StandardCharsets.UTF_8)), Reason.MALFORMED_REFERENCE,
                "reference.rows is 0");
    }

    @Test
    void aReferenceProfileOfAFeatureTheSchemaLacksIsRejected() {
        ReferenceProfile extra = new ReferenceProfile(10, List.of(
                new ReferenceProfile.FeatureProfile("weight_kg", List.of(40.0, 80.0, 120.0), List.of(0.5, 0.5), null, 0.0)),
                null);
        assertRejected(zip(manifest, model, ModelPackageWriter.json(extra)), Reason.MALFORMED_REFERENCE, "'weight_kg'");
    }

    // A profile's name is the package's text until it matches a feature: a patient's details pasted there are not
    // repeated in the refusal, which reaches the uploader, the rejection event and the logs.
    @Test
    void aReferenceProfileNameThatIsNotAPlainNameIsNeverRepeatedInTheRefusal() {
        String pasted = "Jane Doe MRN 4471823";
        byte[] badRate = ("{\"rows\": 10, \"features\": [{\"name\": \"" + pasted + "\", \"binEdges\": [0, 1, 2],"
                + " \"proportions\": [0.5, 0.5], \"missingRate\": 2}]}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(zip(manifest, model, badRate))))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_REFERENCE))
                .hasMessageContaining("has missingRate 2.0")
                .hasMessageNotContaining("Jane").hasMessageNotContaining("4471823");

        ReferenceProfile unknown = new ReferenceProfile(10, List.of(
                new ReferenceProfile.FeatureProfile(pasted, List.of(40.0, 80.0, 120.0), List.of(0.5, 0.5), null, 0.0)),
                null);
        byte[] unknownJson = ModelPackageWriter.json(unknown);
        assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(zip(manifest, model, unknownJson))))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_REFERENCE))
                .hasMessageContaining("which the manifest's feature schema does not have")
                .hasMessageNotContaining("Jane").hasMessageNotContaining("4471823");
    }

    @Test
    void rejectsModelsOnnxRuntimeCannotLoadOrMustNotRun() {
        assertRejected(zip(manifest, new byte[] {0x13, 0x37, 0x00, 0x42}, reference), Reason.ONNX_UNLOADABLE, "model.onnx");
        assertRejected(zip(manifest, TestModels.unknownOperator(6), reference), Reason.ONNX_UNLOADABLE, "NoSuchOperator");
        // A graph built to run for hours is stopped at the probe row's budget, and the package refused.
        long started = System.nanoTime();
        assertRejected(zip(manifest, TestModels.slowLoop(6, 40_000_000_000L), reference), Reason.ONNX_UNLOADABLE,
                "took longer than " + ZipModelPackageReader.PROBE_BUDGET.toMillis() + " ms to score 1 row");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started))
                .isLessThan(ZipModelPackageReader.PROBE_BUDGET.multipliedBy(3));
        // ONNX Runtime's reason, not the source line and C++ signature it writes before it.
        byte[] futureOpset = TestModels.alter(TestModels.logistic(6), m -> m.getOpsetImportBuilder(0).setVersion(99));
        assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(zip(manifest, futureOpset, reference))))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("99")
                .hasMessageNotContaining("onnxruntime_src").hasMessageNotContaining("std::");
        assertRejected(zip(manifest, TestModels.externalInitializer(6), reference), Reason.ONNX_EXTERNAL_DATA, "external file");
        assertRejected(zip(manifest, TestModels.customDomainNode(6), reference), Reason.ONNX_UNSUPPORTED_OPERATOR_DOMAIN,
                "com.microsoft");
    }

    @Test
    void rejectsAModelWhoseInputsOrOutputsDoNotFitTheManifest() {
        assertRejected(zip(manifest, TestModels.logistic(5), reference), Reason.ONNX_SCHEMA_MISMATCH,
                "takes 5 columns but feature pipeline 'identity' gives 6");
        assertRejected(zip(manifest, TestModels.doubleInput(6), reference), Reason.ONNX_SCHEMA_MISMATCH, "double");
        // A fixed batch scores the probe row (one patient) but no chunk or dataset: refused here, not at the gates.
        assertRejected(zip(manifest, TestModels.fixedBatch(model, 1), reference), Reason.ONNX_SCHEMA_MISMATCH,
                "takes a fixed batch of 1 row;");
        assertRejected(zip(manifest, TestModels.fixedBatch(model, 7), reference), Reason.ONNX_SCHEMA_MISMATCH,
                "takes a fixed batch of 7 rows;");
        assertRejected(zip(ModelPackageWriter.json(withOutput(new OutputSpec("scores", 1, "readmitted", 0.2))), model, reference),
                Reason.ONNX_SCHEMA_MISMATCH, "no such output");
        assertRejected(zip(ModelPackageWriter.json(withOutput(new OutputSpec("probabilities", 2, "readmitted", 0.2))), model,
                reference), Reason.ONNX_SCHEMA_MISMATCH, "positiveClassIndex is 2");
        assertRejected(zip(ModelPackageWriter.json(withOutput(new OutputSpec("label", 0, "readmitted", 0.2))), model,
                reference), Reason.ONNX_SCHEMA_MISMATCH, "int64");
    }

    @Test
    void acceptsADynamicInputWidth() {
        byte[] dynamic = TestModels.dynamicWidth(model);
        assertThat(reader.read(new ByteArrayInputStream(zip(manifest, dynamic, reference))).signature().inputs().get(0).shape())
                .containsExactly(-1, -1);
    }

    @Test
    void acceptsAnotherFeaturePipelineOnlyWhenItIsKnownAndItsWidthFits() {
        byte[] pipelined = ModelPackageWriter.json(withPipeline("readmission@3f2a9c1b"));
        byte[] zip = zip(pipelined, model, reference);

        assertRejected(zip, Reason.UNSUPPORTED_FEATURE_PIPELINE, "'readmission@3f2a9c1b'");
        ZipModelPackageReader knows = new ZipModelPackageReader(runtime, LIMITS,
                id -> id.equals("readmission@3f2a9c1b") ? Optional.of(6) : Optional.empty());
        assertThat(knows.read(new ByteArrayInputStream(zip)).manifest().featurePipeline()).isEqualTo("readmission@3f2a9c1b");
        ZipModelPackageReader wider = new ZipModelPackageReader(runtime, LIMITS, id -> Optional.of(9));
        assertThatThrownBy(() -> wider.read(new ByteArrayInputStream(zip))).isInstanceOfSatisfying(
                PackageRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_SCHEMA_MISMATCH))
                .hasMessageContaining("gives 9");
    }

    // Point 2: a package registers only when it can be served: a code feature cannot go through the identity
    // pipeline, and a registered pipeline must take exactly the manifest's features.
    @Test
    void refusesAPackageWhosePipelineCannotServeItsFeatures() {
        Manifest m = sample.manifest();
        java.util.List<health.vigil.model.Feature> features = new java.util.ArrayList<>(m.features().features());
        features.set(0, health.vigil.model.Feature.code(features.get(0).name(), "[0-9]{3}"));
        Manifest coded = new Manifest(m.formatVersion(), m.name(), m.task(), m.description(),
                health.vigil.model.FeatureSchema.of(features), m.featurePipeline(), m.output(), m.intendedUse(),
                m.limitations(), m.owner(), m.provenance());
        assertRejected(zip(ModelPackageWriter.json(coded), model, reference), Reason.UNSUPPORTED_FEATURE_PIPELINE, "code");

        FeaturePipeline readmission = health.vigil.features.ReadmissionFeatures.pipeline();
        ZipModelPackageReader serving = servingReader();
        byte[] otherSchema = zip(ModelPackageWriter.json(withPipeline(readmission.id())),
                OnnxModelWriter.logisticRegression(new double[readmission.width()], 0), reference);
        assertThatThrownBy(() -> serving.read(new ByteArrayInputStream(otherSchema)))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FEATURE_PIPELINE))
                .hasMessageContaining("raw schema");
    }

    // Point 3: a model is served under its name only with a pipeline of its own family.
    @Test
    void refusesAPackageNamedForAnotherModelThanItsPipeline() {
        FeaturePipeline readmission = health.vigil.features.ReadmissionFeatures.pipeline();
        byte[] onnx = OnnxModelWriter.logisticRegression(new double[readmission.width()], -1.0);
        byte[] emptyReference = ModelPackageWriter.json(new health.vigil.model.ReferenceProfile(
                sample.reference().rows(), java.util.List.of(), sample.reference().score()));
        for (String name : java.util.List.of("adherence", "readmissionx", "complications-readmission")) {
            byte[] zip = zip(ModelPackageWriter.json(pipelined(name, readmission)), onnx, emptyReference);
            assertThatThrownBy(() -> servingReader().read(new ByteArrayInputStream(zip)))
                    .as(name).isInstanceOfSatisfying(PackageRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NAME_MISMATCH))
                    .hasMessageContaining("belongs to the readmission model");
        }
        for (String name : java.util.List.of("readmission", "readmission-icu")) {
            byte[] zip = zip(ModelPackageWriter.json(pipelined(name, readmission)), onnx, emptyReference);
            assertThat(servingReader().read(new ByteArrayInputStream(zip)).manifest().name().value()).isEqualTo(name);
        }
    }

    // Point 1: a zip cut short before its central directory is refused, not read by its local headers alone.
    @Test
    void refusesAZipTruncatedBeforeItsCentralDirectory() {
        byte[] whole = zip(manifest, model, reference);
        int centralDirectory = indexOf(whole, new byte[] {'P', 'K', 1, 2});
        assertRejected(Arrays.copyOf(whole, centralDirectory), Reason.NOT_A_ZIP, "central directory");
        assertRejected(Arrays.copyOf(whole, whole.length - 5), Reason.NOT_A_ZIP, "central directory");
    }

    // Point 1: the local header of manifest.json claims its data runs over a second manifest's local header,
    // which the central directory points at: zip tools show the second manifest, a streaming reader the first
    // (JSON parsers stop after the first document). Such a package is refused.
    @Test
    void refusesAZipWhoseLocalHeadersAndCentralDirectoryDisagree() throws Exception {
        Manifest other = sample.manifest();
        byte[] shown = ModelPackageWriter.json(new Manifest(other.formatVersion(), other.name(), other.task(),
                "the description a reviewer reads", other.features(), other.featurePipeline(), other.output(),
                other.intendedUse(), other.limitations(), other.owner(), other.provenance()));
        byte[] hiddenHeader = localHeader("manifest.json", shown, shown.length);
        byte[] smuggled = concat(manifest, hiddenHeader, shown);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.List<byte[]> central = new java.util.ArrayList<>();
        out.writeBytes(localHeader("manifest.json", smuggled, smuggled.length));
        out.writeBytes(smuggled);
        central.add(centralHeader("manifest.json", shown, manifest.length + 30 + 13));
        for (Object[] e : new Object[][] {{"model.onnx", model}, {"reference.json", reference}}) {
            central.add(centralHeader((String) e[0], (byte[]) e[1], out.size()));
            out.writeBytes(localHeader((String) e[0], (byte[]) e[1], ((byte[]) e[1]).length));
            out.writeBytes((byte[]) e[1]);
        }
        byte[] zip = withCentralDirectory(out, central);
        // What every zip tool shows: the second manifest.
        Path file = Files.createTempFile("disagreeing", ".zip");
        try {
            Files.write(file, zip);
            try (java.util.zip.ZipFile tool = new java.util.zip.ZipFile(file.toFile())) {
                assertThat(tool.getInputStream(tool.getEntry("manifest.json")).readAllBytes()).isEqualTo(shown);
            }
        } finally {
            Files.delete(file);
        }
        assertRejected(zip, Reason.NOT_A_ZIP, "inconsistent");
    }

    // Point 1: a decoy reference.json with the real one's length and CRC-32 (four bytes make any CRC-32) in the local
    // headers, where a streaming reader such as the one scoring loads through stops, and the real one after junk
    // that ends that reader, where the central directory points. Length and CRC-32 agree; the contents do not.
    @Test
    void refusesADecoyEntryThatForgesTheRealOnesLengthAndCrc() throws Exception {
        byte[] decoy = reference.clone();
        for (int i = 0; i < decoy.length - 4; i++) {
            if (decoy[i] >= '1' && decoy[i] <= '8') {
                decoy[i]++; // every statistic changed, the length kept
            }
        }
        forgeCrc(decoy, crc(reference));
        assertThat(crc(decoy)).isEqualTo(crc(reference));
        assertThat(decoy).isNotEqualTo(reference);

        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.List<byte[]> central = new java.util.ArrayList<>();
        for (Object[] e : new Object[][] {{"manifest.json", manifest}, {"model.onnx", model}}) {
            central.add(centralHeader((String) e[0], (byte[]) e[1], out.size()));
            out.writeBytes(localHeader((String) e[0], (byte[]) e[1], ((byte[]) e[1]).length));
            out.writeBytes((byte[]) e[1]);
        }
        out.writeBytes(localHeader("reference.json", decoy, decoy.length));
        out.writeBytes(decoy);
        out.writeBytes("JUNK".getBytes(StandardCharsets.US_ASCII));
        central.add(centralHeader("reference.json", reference, out.size()));
        out.writeBytes(localHeader("reference.json", reference, reference.length));
        out.writeBytes(reference);
        byte[] zip = withCentralDirectory(out, central);
        // The two views: zip tools (the central directory) show the real profile, a streaming reader the decoy.
        try (java.util.zip.ZipInputStream streaming = new java.util.zip.ZipInputStream(new ByteArrayInputStream(zip))) {
            byte[] streamed = null;
            for (java.util.zip.ZipEntry e; (e = streaming.getNextEntry()) != null; ) {
                if (e.getName().equals("reference.json")) {
                    streamed = streaming.readAllBytes();
                }
            }
            assertThat(streamed).isEqualTo(decoy);
        }
        assertRejected(zip, Reason.NOT_A_ZIP, "entry reference.json has other contents by its central directory");
    }

    /** The entries written so far, then the central directory's headers and its end record. */
    private static byte[] withCentralDirectory(java.io.ByteArrayOutputStream out, java.util.List<byte[]> central) {
        int cdOffset = out.size();
        int cdSize = 0;
        for (byte[] c : central) {
            out.writeBytes(c);
            cdSize += c.length;
        }
        out.writeBytes(java.nio.ByteBuffer.allocate(22).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x06054b50)
                .putShort((short) 0).putShort((short) 0).putShort((short) central.size())
                .putShort((short) central.size()).putInt(cdSize).putInt(cdOffset).putShort((short) 0).array());
        return out.toByteArray();
    }

    private static long crc(byte[] bytes) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Rewrites the last four bytes of {@code data} so that its CRC-32 is {@code target}: after four more bytes the
     * register holds only what those bytes' table entries put there, so the entries are found backwards from the
     * target by their top bytes (unique in the table), and then the bytes that select them forwards.
     */
    private static void forgeCrc(byte[] data, long target) {
        int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
            }
            table[n] = c;
        }
        int[] index = new int[4];
        int r = ~(int) target;
        for (int k = 3; k >= 0; k--) {
            for (int i = 0; i < 256; i++) {
                if ((table[i] >>> 24) == (r >>> 24)) {
                    index[k] = i;
                }
            }
            r = (r ^ table[index[k]]) << 8;
        }
        java.util.zip.CRC32 prefix = new java.util.zip.CRC32();
        prefix.update(data, 0, data.length - 4);
        int state = ~(int) prefix.getValue();
        for (int k = 0; k < 4; k++) {
            data[data.length - 4 + k] = (byte) ((state ^ index[k]) & 0xff);
            state = (state >>> 8) ^ table[index[k]];
        }
    }

    private static byte[] localHeader(String name, byte[] content, int size) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        return java.nio.ByteBuffer.allocate(30 + n.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x04034b50)
                .putShort((short) 20).putShort((short) 0x0800).putShort((short) 0).putShort((short) 0).putShort((short) 0x21)
                .putInt((int) crc.getValue()).putInt(size).putInt(size).putShort((short) n.length).putShort((short) 0)
                .put(n).array();
    }

    private static byte[] centralHeader(String name, byte[] content, int offset) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        return java.nio.ByteBuffer.allocate(46 + n.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x02014b50)
                .putShort((short) 20).putShort((short) 20).putShort((short) 0x0800).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0x21).putInt((int) crc.getValue()).putInt(content.length).putInt(content.length)
                .putShort((short) n.length).putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                .putInt(0).putInt(offset).put(n).array();
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // Point 4: each JSON entry has a cap proportionate to its purpose, far below the package's inflation limit:
    // a small package whose evaluation.json inflates past 4 MiB is refused while that entry is read.
    @Test
    void refusesAJsonEntryOverItsOwnCapWellBelowThePackageLimit() {
        byte[] padded = ("{\"pad\":\"" + " ".repeat(4 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] zip = new RawZip().stored("manifest.json", manifest).stored("model.onnx", model)
                .stored("reference.json", reference).deflated("evaluation.json", padded, padded.length).bytes();
        assertThat(zip.length).isLessThan(64 * 1024);
        assertRejected(zip, Reason.TOO_LARGE, "evaluation.json inflates to more than 4194304 bytes");
        byte[] bigManifest = editedManifest(m -> m.put("description", "x".repeat(1024 * 1024)));
        assertRejected(new RawZip().deflated("manifest.json", bigManifest, bigManifest.length).stored("model.onnx", model)
                .stored("reference.json", reference).bytes(), Reason.TOO_LARGE, "manifest.json inflates to more than");
    }

    private static ZipModelPackageReader servingReader() {
        health.vigil.features.FeaturePipelines standard = health.vigil.features.FeaturePipelines.standard();
        return new ZipModelPackageReader(runtime, LIMITS, standard::width, standard::forManifest);
    }

    private static Manifest pipelined(String name, FeaturePipeline pipeline) {
        Manifest m = sample.manifest();
        return new Manifest(m.formatVersion(), new health.vigil.model.ModelName(name), m.task(), m.description(),
                pipeline.rawSchema(), pipeline.id(), new OutputSpec(OnnxModelWriter.PROBABILITIES,
                OnnxModelWriter.POSITIVE_CLASS_INDEX, m.output().positiveLabel(), m.output().threshold()), m.intendedUse(), m.limitations(), m.owner(), m.provenance());
    }

    @Test
    void aFailingUploadStreamIsAStoreProblemNotARejection() {
        byte[] zip = sample.zip();
        InputStream failing = new InputStream() {
            private int read;

            @Override
            public int read() throws IOException {
                if (read++ > 1000) {
                    throw new IOException("connection reset");
                }
                return zip[read - 1] & 0xff;
            }
        };
        assertThatThrownBy(() -> reader.read(failing)).isInstanceOf(StoreException.class).hasRootCauseMessage("connection reset");
    }

    @Test
    void leavesTheCallersStreamOpen() {
        CountingStream in = new CountingStream(sample.zip());
        reader.read(in);
        assertThat(in.closed).isFalse();
        assertThat(in.position).isEqualTo(sample.zip().length);
    }

    private static void assertRejected(byte[] zip, Reason reason, String messagePart) {
        assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(zip)))
                .isInstanceOfSatisfying(PackageRejectedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(messagePart);
    }

    private static VigilConfig.Limits limits(long packageBytes, long uncompressed, int entries) {
        return new VigilConfig.Limits(packageBytes, uncompressed, entries, 1000, 4 * 1024 * 1024);
    }

    private static byte[] zip(byte[] manifestJson, byte[] onnx, byte[] referenceJson) {
        return new RawZip().stored("manifest.json", manifestJson).stored("model.onnx", onnx)
                .stored("reference.json", referenceJson).bytes();
    }

    private static byte[] withManifest(byte[] manifestJson) {
        return zip(manifestJson, model, reference);
    }

    private static byte[] editedManifest(Consumer<ObjectNode> edit) {
        ObjectNode tree = (ObjectNode) Json.readTree("manifest", manifest);
        edit.accept(tree);
        return Json.writeBytes(tree);
    }

    private static Manifest withOutput(OutputSpec output) {
        Manifest m = sample.manifest();
        return new Manifest(m.formatVersion(), m.name(), m.task(), m.description(), m.features(), m.featurePipeline(),
                output, m.intendedUse(), m.limitations(), m.owner(), m.provenance());
    }

    private static Manifest withPipeline(String pipeline) {
        Manifest m = sample.manifest();
        return new Manifest(m.formatVersion(), m.name(), m.task(), m.description(), m.features(), pipeline,
                m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance());
    }

    /** A stream that remembers how far it was read and whether it was closed. */
    private static final class CountingStream extends ByteArrayInputStream {
        int position;
        boolean closed;

        CountingStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            position += Math.max(n, 0);
            return n;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
