package health.vigil.gates;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.port.ArtifactStore;
import health.vigil.security.Principal;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The evaluation datasets the platform owns. A registration stores the CSV file in the {@code datasets} container
 * under its sha256 ({@code data/{sha256}.csv}) and its manifest under the model
 * ({@code manifests/{model}/{sha256}.json}), neither ever overwritten, and audits it once under
 * {@code dataset.register:{model}:{sha256}}: registering the same file again for the same model with the same
 * declarations is answered with the stored registration before any check, and changes nothing (but the audit record
 * of a registration that stopped before it). A file whose stored copy was changed in the container is refused as long
 * as it is, whichever model it is registered for. A model's gates use its most recently registered dataset.
 */
public final class EvaluationDatasets {
    public static final String ACTION = "dataset.register";
    /** The fewest rows of each outcome a dataset has: as few as a segment the gates judge (minSegmentSize's floor). */
    static final int MIN_PER_OUTCOME = 10;
    /**
     * The most values a segment column has before it is also judged by how thinly its rows spread over them: a list of
     * categories the gates judge by (sex, age band, race, ethnicity, payer) has no more.
     */
    static final int FEW_CATEGORIES = 20;
    /** The fewest rows per value, on average, of a segment column with more than {@link #FEW_CATEGORIES} values. */
    static final int FEWEST_ROWS_PER_VALUE = 3;
    private final ArtifactStore artifacts;
    private final AuditLog audit;
    private final Clock clock;
    private final Function<ModelName, Optional<Schema>> schemas;

    /** The raw features a model's newest registered version reads, and which version that is. */
    public record Schema(int version, FeatureSchema features) {}

    public EvaluationDatasets(ArtifactStore artifacts, AuditLog audit, Clock clock) {
        this(artifacts, audit, clock, model -> Optional.empty());
    }

    /**
     * @param schemas the raw features of a model's newest registered version, when it has one: a dataset is read
     *     with them before it is registered, so one the model cannot read is refused here instead of failing the
     *     gates of every later version
     */
    public EvaluationDatasets(ArtifactStore artifacts, AuditLog audit, Clock clock,
            Function<ModelName, Optional<Schema>> schemas) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.schemas = Objects.requireNonNull(schemas, "schemas");
    }

    /**
     * How many rows of a dataset a model version's schema refuses: what its coverage gate will count
     * ({@link GateChecks#coverage}); why the first, and how many rows each rule refuses (rules only, no value).
     */
    public record VersionCoverage(int version, int rows, int refused, String firstRefusal,
            Map<String, Integer> refusedByRule) {}

    /**
     * {@code dataset}'s rows (the file's bytes in {@code csv}) as the model's newest registered version reads them, so
     * whoever registers a dataset sees at once how much of it that version's gates would leave out; empty while the
     * model has no version.
     */
    public Optional<VersionCoverage> newestVersionCoverage(EvaluationDataset dataset, byte[] csv) {
        return schemas.apply(new ModelName(dataset.model())).map(schema -> {
            EvaluationRows rows;
            try {
                rows = readWith(schema, csv, dataset);
            } catch (ValidationException unreadable) {
                // A file registered before this version (answered again to a replay): its gates judge none of it.
                return new VersionCoverage(schema.version(), dataset.rows(), dataset.rows(), unreadable.getMessage(),
                        Map.of(UNREADABLE, dataset.rows()));
            }
            EvaluationRows.Acceptance read = rows.acceptedBy(schema.features());
            return new VersionCoverage(schema.version(), read.problems().length, read.refused(), read.firstRefusal(),
                    read.refusedByRule());
        });
    }

    /** The rule {@link #newestVersionCoverage} counts every row under when the version cannot read the file. */
    static final String UNREADABLE = "the dataset cannot be read with the version's features";

    /** {@code csv} as {@code schema}'s version reads it; a file it cannot read is refused, saying which version. */
    private static EvaluationRows readWith(Schema schema, byte[] csv, EvaluationDataset dataset) {
        try {
            return EvaluationRows.read(csv, dataset, schema.features());
        } catch (ValidationException e) {
            throw new ValidationException("the dataset cannot be read with the features of " + dataset.model()
                    + " version " + schema.version() + ", which its gates would judge on it: " + e.getMessage());
        }
    }

    /**
     * Registers {@code csv} as an evaluation dataset of the declared model; the same file twice is one dataset, and the
     * stored one answers a registration of it under the same declarations even where checks added since refuse it.
     */
    public EvaluationDataset register(EvaluationDataset.Declaration declaration, byte[] csv, Principal by) {
        Objects.requireNonNull(declaration, "declaration");
        Objects.requireNonNull(by, "by");
        if (csv == null || csv.length == 0) {
            throw new ValidationException("the dataset is empty; send the CSV file as the request body");
        }
        String sha256 = Sha256.hex(csv);
        String manifestName = manifestName(declaration.model(), sha256);
        Optional<EvaluationDataset> existing = DatasetsContainer.readJson(artifacts, manifestName,
                EvaluationDataset.class);
        // A replay (a retried request, the file sent again) answers the stored registration before any check: one an
        // earlier release accepted may fail checks added since, and it was registered once already. Its record is
        // completed, once, where the first registration stopped before it.
        if (existing.isPresent() && declares(existing.get(), declaration)) {
            EvaluationDataset stored = recorded(existing.get(), by);
            restoreOrRequireStoredAsSent(sha256, csv);
            return stored;
        }
        List<String> segmentColumns = columnsNamed(declaration);
        if (segmentColumns.contains(declaration.label())) {
            throw new ValidationException("the label column " + Json.quotedName(declaration.label()) + " is also declared as a segment"
                    + " column; segments are judged by other columns (age, sex, race...)");
        }
        List<String> categorical = segmentColumns.stream().filter(c -> !c.equals(declaration.ageColumn())).toList();
        // What a header of this dataset names: a first line naming none of it is a patient's row, never repeated.
        java.util.Set<String> expected = new java.util.HashSet<>(segmentColumns);
        schemas.apply(new ModelName(declaration.model())).ifPresent(schema -> expected.addAll(schema.features().names()));
        EvaluationRows.Summary summary = EvaluationRows.summarise(csv, declaration.label(), categorical, expected);
        for (String column : segmentColumns) {
            if (!summary.columns().contains(column)) {
                throw new ValidationException("the dataset has no column " + Json.quotedName(column) + " to judge segments by; its"
                        + " columns are " + summary.columns());
            }
        }
        // Each value of a segment column is named in the gate report any caller can read: an identifier or free
        // text declared as a segment would publish it.
        summary.distinct().forEach((column, count) -> {
            if (count > EvaluationRows.MAX_SEGMENT_VALUES) {
                throw new ValidationException("segment column " + Json.quotedName(column) + " has more than "
                        + EvaluationRows.MAX_SEGMENT_VALUES + " distinct values (an identifier or free text?); declare"
                        + " columns of a few categories (sex, race, payer), and the age column as ageColumn");
            }
            refuseOneValuePerPatient(column, count, summary.oneOfAKind().get(column), summary.rows());
        });
        if (summary.positives() == 0 || summary.positives() == summary.rows()) {
            throw new ValidationException("the dataset's label " + Json.quotedName(declaration.label()) + " has only one outcome in "
                    + Words.count(summary.rows(), "row") + "; discrimination and calibration need both");
        }
        int fewer = Math.min(summary.positives(), summary.rows() - summary.positives());
        if (fewer < MIN_PER_OUTCOME) {
            throw new ValidationException("the dataset has " + Words.count(fewer, "row") + " of its rarer outcome; the gates judge"
                    + " discrimination and calibration on at least " + MIN_PER_OUTCOME + " of each: add rows");
        }
        if (existing.isPresent()) {
            throw registeredOtherwise(existing.get());
        }
        EvaluationDataset dataset = new EvaluationDataset(declaration.model(), sha256, declaration.fileName(),
                summary.rows(), summary.positives(), summary.columns(), declaration.label(), declaration.ageColumn(),
                declaration.sexColumn(), declaration.segments(), by.id(), clock.instant());
        schemas.apply(new ModelName(declaration.model())).ifPresent(schema -> readWith(schema, csv, dataset));
        if (!DatasetsContainer.putOnce(artifacts, dataName(sha256), csv)) {
            restoreOrRequireStoredAsSent(sha256, csv);
        }
        boolean stored = DatasetsContainer.putOnce(artifacts, manifestName, Json.writeBytes(dataset));
        EvaluationDataset registered = DatasetsContainer.readJson(artifacts, manifestName, EvaluationDataset.class)
                .orElse(dataset);
        // Another registration of the file for the model stored its manifest after this one's look-up: this one is
        // answered as it would be a moment later, and records nothing of a registration it did not make.
        if (!stored && !declares(registered, declaration)) {
            throw registeredOtherwise(registered);
        }
        return recorded(registered, by);
    }

    /**
     * Refuses to answer a registration of the file whose sha256 is {@code sha256} while the container holds other bytes
     * under its name: a file is stored once, so the gates would read those, and fail on them, whatever was answered.
     * Where the stored copy was removed, the file sent ({@code csv}, whose sha256 it is) is stored again, so the gates
     * can read the dataset the registration is answered with.
     */
    private void restoreOrRequireStoredAsSent(String sha256, byte[] csv) {
        Optional<byte[]> stored = DatasetsContainer.read(artifacts, dataName(sha256));
        if (stored.isEmpty() && DatasetsContainer.putOnce(artifacts, dataName(sha256), csv)) {
            return;
        }
        if (stored.isEmpty()) {
            stored = DatasetsContainer.read(artifacts, dataName(sha256)); // another registration put it back first
        }
        if (stored.isPresent() && !Sha256.hex(stored.get()).equals(sha256)) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, "the " + ArtifactStore.DATASETS + " container"
                    + " holds another file under this file's name, " + dataName(sha256) + ": the file stored there when"
                    + " it was first registered was changed since, and a file is stored once, so registering it again"
                    + " does not replace it. Put this file back under that name (its sha256 is " + sha256 + ") and"
                    + " send the registration again");
        }
    }

    /** The refusal of {@code first}'s file registered again for its model under other declarations. */
    private static ConflictException registeredOtherwise(EvaluationDataset first) {
        return new ConflictException(ErrorCode.CONFLICT, "this file was registered for " + first.model()
                + " with label '" + first.label() + "' and segment columns " + first.segmentColumns()
                + "; the same file is one dataset: register it as it was, or a changed file");
    }

    /**
     * {@code stored}, once its registration is audited: by this call, or by the one before that recorded it. The record
     * is in the name of the steward who registered the file; {@code completedBy} names the caller that wrote it where
     * that is someone else (a replay that completes a registration that stopped before its record).
     */
    private EvaluationDataset recorded(EvaluationDataset stored, Principal by) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("sha256", stored.sha256());
        details.put("rows", Integer.toString(stored.rows()));
        details.put("label", stored.label());
        details.put("segments", String.join(",", stored.segmentColumns()));
        if (!by.id().equals(stored.registeredBy())) {
            details.put("completedBy", by.id());
        }
        audit.recordOnce(ACTION + ":" + stored.model() + ":" + stored.sha256(), stored.registeredBy(), ACTION,
                "/datasets/" + stored.model() + "/" + stored.sha256(), "registered", details);
        return stored;
    }

    /** The datasets of a model, newest first; all models' when {@code model} is empty. */
    public List<EvaluationDataset> list(Optional<ModelName> model) {
        String prefix = "manifests/" + model.map(m -> m.value() + "/").orElse("");
        return artifacts.list(ArtifactStore.DATASETS, prefix).stream()
                .map(a -> DatasetsContainer.readJson(artifacts, a.name(), EvaluationDataset.class))
                .flatMap(Optional::stream)
                .sorted(Comparator.comparing(EvaluationDataset::registeredAt).reversed()
                        .thenComparing(EvaluationDataset::sha256))
                .toList();
    }

    /** The model's most recently registered dataset, which its gates evaluate on. */
    public Optional<EvaluationDataset> latest(ModelName model) {
        return list(Optional.of(model)).stream().findFirst();
    }

    /**
     * The refusal of a dataset whose file no longer has its sha256. What brings the dataset back is said: registering
     * the file again never replaces the stored one, as every file is kept once.
     */
    private static VigilException changed(String model, String sha256) {
        return new VigilException(ErrorCode.INTEGRITY_FAILURE, "evaluation dataset " + sha256 + " of " + model
                + " no longer has that sha256: its file, " + dataName(sha256) + " in the " + ArtifactStore.DATASETS
                + " container, was changed after it was registered. Registering the same file again keeps the changed"
                + " one (a file is stored once); put the registered file back under that name (a copy whose sha256 is "
                + sha256 + "), or register a corrected file for " + model + ", which its gates then judge on as the"
                + " newest dataset; then run the version's gates again (vigil models gates " + model + " VERSION"
                + " --rerun)");
    }

    /** The dataset's file, after checking it still has the sha256 it is addressed by. */
    public byte[] content(EvaluationDataset dataset) {
        byte[] bytes;
        try (InputStream in = artifacts.open(ArtifactStore.DATASETS, dataName(dataset.sha256()))) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new StoreException("could not read evaluation dataset " + dataset.sha256(), e);
        }
        if (!Sha256.hex(bytes).equals(dataset.sha256())) {
            throw changed(dataset.model(), dataset.sha256());
        }
        return bytes;
    }

    /**
     * Refuses a segment column whose values each belong to a patient or two (a record number, a name, a measurement),
     * however small the file: such a column groups no patients, and where the model's requests carry it, production
     * monitoring, the model card and the shadow report would name each patient's value as a segment. It is refused
     * when more than half of the rows, and at least {@value GatePolicy#SMALLEST_SEGMENT}, hold a value no other row
     * holds, or when it has more than {@value #FEW_CATEGORIES} values with under {@value #FEWEST_ROWS_PER_VALUE} rows
     * each on average. A column of at most 11 categories (sex, age by decade, race) is never refused on a file of the
     * 20 rows or more registration takes: of its values, at most 10 can be one row's alone.
     */
    private static void refuseOneValuePerPatient(String column, int values, int oneOfAKind, int rows) {
        boolean mostlyAlone = oneOfAKind >= GatePolicy.SMALLEST_SEGMENT && 2L * oneOfAKind > rows;
        boolean spreadThin = values > FEW_CATEGORIES && (long) values * FEWEST_ROWS_PER_VALUE > rows;
        if (mostlyAlone || spreadThin) {
            throw new ValidationException("segment column " + Json.quotedName(column) + " has "
                    + Words.count(values, "distinct value") + " in " + Words.count(rows, "row") + ", "
                    + (mostlyAlone ? oneOfAKind + " of them in one row only" : "under " + FEWEST_ROWS_PER_VALUE
                            + " rows each on average")
                    + " (an identifier, a name or a measurement?): a segment column groups patients into a few"
                    + " categories, each of many rows, that the gates judge the model on separately (sex, race,"
                    + " payer); declare such a column, or leave this one out");
        }
    }

    /**
     * Whether {@code declaration} registers {@code stored}'s file as it was registered: the same label, age, sex and
     * segment columns (the model and the file are its address). The file's name is what it was called, not what it is.
     */
    private static boolean declares(EvaluationDataset stored, EvaluationDataset.Declaration declaration) {
        return stored.label().equals(declaration.label()) && Objects.equals(stored.ageColumn(), declaration.ageColumn())
                && Objects.equals(stored.sexColumn(), declaration.sexColumn())
                && stored.segments().equals(declaration.segments());
    }

    private static List<String> columnsNamed(EvaluationDataset.Declaration d) {
        java.util.List<String> columns = new java.util.ArrayList<>(d.segments());
        if (d.ageColumn() != null) {
            columns.add(d.ageColumn());
        }
        if (d.sexColumn() != null) {
            columns.add(d.sexColumn());
        }
        return columns;
    }



    static String dataName(String sha256) {
        return "data/" + sha256 + ".csv";
    }

    static String manifestName(String model, String sha256) {
        return "manifests/" + model + "/" + sha256 + ".json";
    }
}
