package health.vigil.training;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.features.AdherenceFeatures;
import health.vigil.features.ComplicationsFeatures;
import health.vigil.features.DefinedPipeline;
import health.vigil.features.ReadmissionFeatures;
import health.vigil.features.SegmentValues;
import health.vigil.model.CardFacts;
import health.vigil.model.ModelName;
import health.vigil.training.data.DataFiles;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DispensingCohort;
import health.vigil.training.data.UciDiabetesLoader;
import health.vigil.training.synthetic.AdherenceGenerator;
import health.vigil.training.synthetic.ComplicationsGenerator;
import health.vigil.training.synthetic.ReadmissionGenerator;
import health.vigil.training.synthetic.SyntheticData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The three clinical models Vigil ships: for each, its feature pipeline, what it predicts and for whom,
 * its known limitations, how to load its real data from a file, how to generate synthetic data, and the
 * segments (age group, sex) its evaluation is broken down by.
 */
public enum ClinicalModel {
    READMISSION("readmission", ReadmissionFeatures.pipeline(), "readmitted within 30 days",
            "30-day readmission risk of an adult or paediatric inpatient with diabetes, at discharge",
            "Flags inpatients with diabetes at high risk of readmission within 30 days of discharge so that a care"
                    + " team can prioritise transitional care (follow-up calls, medication reconciliation). Decision"
                    + " support for a clinician; not for denying care or for patients discharged to hospice.",
            List.of("Trained on 1999-2008 US hospital encounters of patients with diabetes; practice has changed"
                            + " since and other populations may differ.",
                    "Encounters that ended in death or hospice are excluded; the model says nothing about them.",
                    "Readmissions to other hospitals may be missing from the label, so risk can be under-estimated.",
                    "Race is recorded by the source with missing values and coarse groups; check performance by group"
                            + " before use."),
            "diabetic_data.csv with IDs_mapping.csv next to it (UCI Diabetes 130-US hospitals)"),
    ADHERENCE("adherence", AdherenceFeatures.pipeline(), "non-adherent (PDC below 80 %) in the next 180 days",
            "Risk that a patient on a chronic medication covers less than 80 % of the next 180 days with supply",
            "Identifies patients likely to become non-adherent to a chronic medication so that a pharmacist can"
                    + " offer an intervention (refill synchronisation, 90-day or mail-order supply, counselling)."
                    + " Not for coverage or eligibility decisions.",
            List.of("Dispensing data shows supply, not ingestion: a covered day is not a dose taken.",
                    "Fills paid outside the data source (cash, samples) look like gaps.",
                    "Hospital stays and deliberate discontinuation look like non-adherence.",
                    "The label needs 180 days of follow-up; patients who leave the plan must be removed upstream."),
            "a dispensing CSV with columns " + DispensingCohort.HEADER),
    COMPLICATIONS("complications", ComplicationsFeatures.pipeline(), "complication within 30 days of surgery",
            "Risk of any post-operative complication within 30 days of a surgical procedure",
            "Supports pre-operative planning (optimisation, level of post-operative monitoring, consent"
                    + " discussions) for adults having surgery. Not a substitute for clinical judgement and not for"
                    + " deciding whether to operate.",
            List.of("Complications are pooled into one outcome; severity and type are not predicted.",
                    "Pre-operative labs are often missing; the model uses missingness indicators, so changes in"
                            + " testing practice shift its inputs.",
                    "Procedures are grouped by specialty; risk within a specialty varies widely by operation."),
            "a surgical cohort CSV with columns " + ComplicationsGenerator.loader().header());

    private final ModelName modelName;
    private final DefinedPipeline pipeline;
    private final String positiveLabel;
    private final String description;
    private final String intendedUse;
    private final List<String> limitations;
    private final String dataFormat;

    ClinicalModel(String name, DefinedPipeline pipeline, String positiveLabel, String description, String intendedUse,
            List<String> limitations, String dataFormat) {
        this.modelName = ModelName.of(name);
        this.pipeline = pipeline;
        this.positiveLabel = positiveLabel;
        this.description = description;
        this.intendedUse = intendedUse;
        this.limitations = List.copyOf(limitations);
        this.dataFormat = dataFormat;
    }

    /**
     * What the model card reports as the developer's word for this model (the manifest's {@code card} section).
     * Only what holds for every training of it is stated; what depends on the data a model is trained on (its
     * demographic representativeness) and what no one has done yet (external validation, outcome studies) is left
     * out and shows as "not provided".
     */
    public CardFacts cardFacts() {
        Map<String, List<String>> variables = new java.util.LinkedHashMap<>();
        CardFacts.INPUT_VARIABLES.forEach(v -> variables.put(v, List.of()));
        List<String> judged = new ArrayList<>(List.of("age group", "sex"));
        judged.addAll(evaluationSegments());
        String fairness = "Performance is measured by age group and by sex at training (docs/models.md); every version"
                + " is then judged by the platform's segments gate on the data steward's held-out dataset, by "
                + String.join(", ", judged.subList(0, judged.size() - 1)) + " and " + judged.get(judged.size() - 1)
                + " (the segment columns of the evaluation data vigil writes for this model), before anyone may"
                + " approve it.";
        String schedule = "Every new version is judged by the platform's gates and approved by someone other than"
                + " its uploader before it is deployed; no fixed retraining calendar is set.";
        return switch (this) {
            case READMISSION -> {
                variables.put("race", List.of(ReadmissionFeatures.RACE + " (the source's coarse groups)"));
                variables.put("ethnicity", List.of(ReadmissionFeatures.RACE + " (the source records Hispanic as a race group)"));
                variables.put("sex", List.of(ReadmissionFeatures.GENDER + " (as recorded by the source)"));
                variables.put("dateOfBirth", List.of(ReadmissionFeatures.AGE_BAND + " (age in ten-year bands)"));
                yield new CardFacts(null, null, "Inpatients with diabetes, at discharge from a US acute-care hospital",
                        "Care-coordination teams and discharge planners", "informs",
                        List.of("Patients discharged to hospice or who died in hospital",
                                "Denying, delaying or rationing care", "Patients without diabetes"),
                        "Inpatient encounters of patients with diabetes, 1 to 14 days in hospital, with laboratory"
                                + " tests and medications recorded",
                        "Encounters ending in death or discharge to hospice", variables, null,
                        "Encounters from US hospitals; check the case mix of the deploying hospital against it",
                        fairness, null, null, null, null, null, null, null, List.of(), schedule);
            }
            case ADHERENCE -> {
                variables.put("sex", List.of(AdherenceFeatures.SEX));
                variables.put("dateOfBirth", List.of(AdherenceFeatures.AGE + " (years at the index date)"));
                variables.put("socialDeterminants", List.of(AdherenceFeatures.COPAY + " (out-of-pocket cost)"));
                yield new CardFacts(null, null, "Adults on a chronic medication with at least 180 days of dispensing"
                        + " history", "Pharmacists", "informs",
                        List.of("Coverage, eligibility or benefit decisions", "Acute or short-course medications"),
                        "Adults with repeated fills of one chronic drug class", "Patients who leave the plan within"
                                + " 180 days of follow-up", variables, null,
                        "Pharmacy dispensing records; adherence is measured as supply, not ingestion",
                        fairness, null, null, null, null, null, null, null, List.of(), schedule);
            }
            case COMPLICATIONS -> {
                variables.put("sex", List.of(ComplicationsFeatures.SEX));
                variables.put("dateOfBirth", List.of(ComplicationsFeatures.AGE + " (years on the day of surgery)"));
                variables.put("healthStatusAssessments", List.of(ComplicationsFeatures.ASA_CLASS
                        + " (ASA physical status)"));
                yield new CardFacts(null, null, "Adults having a surgical procedure", "Surgeons and anaesthetists at"
                        + " pre-operative assessment", "informs",
                        List.of("Deciding whether to operate", "Children", "Predicting a specific complication"),
                        "Adults having surgery with pre-operative assessment recorded", null, variables, null,
                        "Surgical cohorts of the procedure specialties the model groups; other case mixes differ",
                        fairness, null, null, null, null, null, null, null, List.of(), schedule);
            }
        };
    }

    public static ClinicalModel of(String name) {
        for (ClinicalModel model : values()) {
            if (model.modelName.value().equals(name)) {
                return model;
            }
        }
        throw new ValidationException(ErrorCode.INVALID_REQUEST, "there is no clinical model '" + name
                + "'; choose one of " + Arrays.stream(values()).map(m -> m.modelName.value()).toList());
    }

    public ModelName modelName() {
        return modelName;
    }

    public DefinedPipeline pipeline() {
        return pipeline;
    }

    public String positiveLabel() {
        return positiveLabel;
    }

    public String description() {
        return description;
    }

    public String intendedUse() {
        return intendedUse;
    }

    public List<String> limitations() {
        return limitations;
    }

    /** What {@link #load(Path)} expects. */
    public String dataFormat() {
        return dataFormat;
    }

    /** Loads the model's real data from a file. */
    public Dataset load(Path file) {
        return switch (this) {
            case READMISSION -> UciDiabetesLoader.load(file);
            case ADHERENCE -> DispensingCohort.load(file.getFileName().toString(),
                    DataFiles.read(file, "the dispensing file"));
            case COMPLICATIONS -> ComplicationsGenerator.loader().load(file.getFileName().toString(),
                    "surgical cohort", DataFiles.read(file, "the surgical cohort file"));
        };
    }

    /** Seeded synthetic data of about {@code rows} examples, with the generator's true probabilities. */
    public SyntheticData synthetic(int rows, long seed) {
        return switch (this) {
            case READMISSION -> new ReadmissionGenerator(seed).generate(rows);
            case ADHERENCE -> new AdherenceGenerator(seed).generate(rows);
            case COMPLICATIONS -> new ComplicationsGenerator(seed).generate(rows);
        };
    }

    /**
     * The segment columns, beside age group and sex, that the evaluation data written for this model declares for the
     * gates to judge by: race where the model takes it as an input.
     */
    public List<String> evaluationSegments() {
        return pipeline.rawSchema().names().contains("race") ? List.of("race") : List.of();
    }

    /** Age groups used to break down evaluation: the platform's {@code age_group} segments. */
    public static final List<String> AGE_GROUPS = SegmentValues.AGE_GROUPS;
    public static final List<String> SEX_GROUPS = SegmentValues.SEX_GROUPS;

    /** The record's {@code age_group} segment, as the gates and monitoring define it. */
    public String ageGroup(Map<String, Object> record) {
        return SegmentValues.ageGroup(SegmentValues.years(record.get(switch (this) {
            case READMISSION -> ReadmissionFeatures.AGE_BAND;
            case ADHERENCE -> AdherenceFeatures.AGE;
            case COMPLICATIONS -> ComplicationsFeatures.AGE;
        })));
    }

    /** The record's {@code sex_group} segment, as the gates and monitoring define it. */
    public String sexGroup(Map<String, Object> record) {
        return SegmentValues.sexGroup(record.get(switch (this) {
            case READMISSION -> ReadmissionFeatures.GENDER;
            case ADHERENCE -> AdherenceFeatures.SEX;
            case COMPLICATIONS -> ComplicationsFeatures.SEX;
        }));
    }

    @Override
    public String toString() {
        return modelName.value().toLowerCase(Locale.ROOT);
    }
}
