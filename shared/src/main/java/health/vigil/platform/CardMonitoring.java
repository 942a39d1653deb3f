package health.vigil.platform;

import health.vigil.cards.ModelCard;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.SegmentPerformance;
import health.vigil.text.Words;
import java.util.Locale;

/**
 * The figures of a stored monitoring report as a model card shows them. It lives where the services are wired
 * because the card and the monitoring check reach each other only through what is stored.
 */
public final class CardMonitoring {
    private CardMonitoring() {}

    public static ModelCard.MonitoringWindow window(MonitoringReport r) {
        Double expectedAuroc = r.drift() == null || r.drift().estimate() == null ? null
                : r.drift().estimate().expectedAuroc();
        LabelledPerformance p = r.performance();
        return new ModelCard.MonitoringWindow(r.id(), r.slot(), r.from(), r.to(), r.checkedAt(),
                r.severity().name().toLowerCase(Locale.ROOT), r.reasons(), r.predictions(), r.labelledFraction(),
                performance(p, aurocNotJudged(p, r.policy()), brierNotJudged(p, r.policy())), expectedAuroc,
                r.segments().stream().map(CardMonitoring::segment).toList());
    }

    /**
     * Why the check did not judge the window's realised AUROC, with the counts it had and what it needs, or null when
     * it judged it, or there is none, or its counts are withheld (and the AUROC with them), or the report names no
     * policy. The monitoring check's own rule ({@link MonitoringPolicy#judgesAuroc}) decides, so neither the card nor
     * the dashboard's monitoring page, which shows these words too, calls judged what the check did not.
     */
    public static String aurocNotJudged(LabelledPerformance p, MonitoringPolicy policy) {
        if (p == null || policy == null || p.auroc() == null || p.labelled() == null || p.positives() == null
                || policy.judgesAuroc(p.labelled(), p.positives())) {
            return null;
        }
        if (p.labelled() < policy.minLabelled()) {
            return tooFew(p.labelled(), policy);
        }
        return "not judged: " + Words.count(p.labelled(), "outcome") + ", " + p.positives() + " positive and "
                + (p.labelled() - p.positives()) + " negative, the check needs at least " + policy.minLabelledPerClass()
                + " of each class";
    }

    /**
     * Why the check did not judge the window's Brier score, in the same words ({@code not judged: 40 outcomes, the
     * check needs 50}), or null when it judged it, or there is none, or its counts are withheld, or the report names
     * no policy. The check's own rule ({@link MonitoringPolicy#judgesBrier}) decides.
     */
    public static String brierNotJudged(LabelledPerformance p, MonitoringPolicy policy) {
        if (p == null || policy == null || p.brier() == null || p.labelled() == null
                || policy.judgesBrier(p.labelled())) {
            return null;
        }
        return tooFew(p.labelled(), policy);
    }

    private static String tooFew(long labelled, MonitoringPolicy policy) {
        return "not judged: " + Words.count(labelled, "outcome") + ", the check needs " + policy.minLabelled();
    }

    /** A segment's performance: one the monitoring check measured, it judged (SegmentPerformance), so no mark. */
    private static ModelCard.LocalSegment segment(SegmentPerformance s) {
        return new ModelCard.LocalSegment(s.column(), s.value(), s.labelled(), s.positives(),
                s.status() == SegmentPerformance.Status.MEASURED, performance(s.performance(), null, null),
                s.suppressed());
    }

    private static ModelCard.LocalPerformance performance(LabelledPerformance p, String aurocNotJudged,
            String brierNotJudged) {
        return p == null ? null : new ModelCard.LocalPerformance(p.labelled(), p.positives(), p.auroc(), p.aurocLower(),
                p.aurocUpper(), p.brier(), p.brierLower(), p.brierUpper(), p.calibrationError(), p.calibrationSlope(),
                p.suppressed(), aurocNotJudged, brierNotJudged);
    }
}
