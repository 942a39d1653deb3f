package health.vigil.platform;

import health.vigil.cards.ModelCard;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.SegmentPerformance;
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
        return new ModelCard.MonitoringWindow(r.id(), r.slot(), r.from(), r.to(), r.checkedAt(),
                r.severity().name().toLowerCase(Locale.ROOT), r.reasons(), r.predictions(), r.labelledFraction(),
                performance(r.performance()), expectedAuroc, r.segments().stream().map(CardMonitoring::segment).toList());
    }

    private static ModelCard.LocalSegment segment(SegmentPerformance s) {
        return new ModelCard.LocalSegment(s.column(), s.value(), s.labelled(), s.positives(),
                s.status() == SegmentPerformance.Status.MEASURED, performance(s.performance()), s.suppressed());
    }

    private static ModelCard.LocalPerformance performance(LabelledPerformance p) {
        return p == null ? null : new ModelCard.LocalPerformance(p.labelled(), p.positives(), p.auroc(), p.aurocLower(),
                p.aurocUpper(), p.brier(), p.brierLower(), p.brierUpper(), p.calibrationError(), p.calibrationSlope(),
                p.suppressed());
    }
}
