package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.StepAnalysis;
import health.vigil.model.TrafficSlot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeploymentsViewTest {
    private static final Instant START = Instant.parse("2026-12-03T04:00:00Z");

    private static StepAnalysis analysis(int step, int weight, int minutes, String decision) {
        return new StepAnalysis(step, weight, START.plusSeconds(60L * (minutes - 1)), START.plusSeconds(60L * minutes),
                250, 250, decision, "because", List.of());
    }

    private static CanaryRamp ramp(CanaryStatus status, int step, List<StepAnalysis> analyses) {
        return new CanaryRamp(2, 1, List.of(100, 500, 2_500, 10_000), 60, CanaryPolicy.DEFAULT, status, step, START,
                START.plusSeconds(60), 0, "operator", START, "started", "started", analyses);
    }

    @Test
    void theRampStartsAtItsFirstStepAndEachDecisionSetsTheWeightFromTheEndOfItsWindow() {
        CanaryRamp ramp = ramp(CanaryStatus.RUNNING, 2, List.of(analysis(0, 100, 1, StepAnalysis.EXTEND),
                analysis(0, 100, 2, StepAnalysis.PASS), analysis(1, 500, 3, StepAnalysis.PASS)));

        assertThat(DeploymentsView.timeline(ramp)).containsExactly(new DeploymentsView.Point(START, 100),
                new DeploymentsView.Point(START.plusSeconds(60), 100), new DeploymentsView.Point(START.plusSeconds(120), 500),
                new DeploymentsView.Point(START.plusSeconds(180), 2_500));
    }

    @Test
    void aRollbackTakesTheCanaryToNothingAndAPassOnTheLastJudgedStepToAllTraffic() {
        assertThat(DeploymentsView.timeline(ramp(CanaryStatus.ROLLED_BACK, 1, List.of(
                analysis(0, 100, 1, StepAnalysis.PASS), analysis(1, 500, 2, StepAnalysis.FAIL)))))
                .extracting(DeploymentsView.Point::basisPoints).containsExactly(100, 500, 0);
        assertThat(DeploymentsView.timeline(ramp(CanaryStatus.PROMOTED, 3, List.of(
                analysis(0, 100, 1, StepAnalysis.PASS), analysis(1, 500, 2, StepAnalysis.PASS),
                analysis(2, 2_500, 3, StepAnalysis.PASS)))))
                .extracting(DeploymentsView.Point::basisPoints).containsExactly(100, 500, 2_500, 10_000);
    }

    @Test
    void anAbortTakesTheCanaryToNothingAndAPromotionByHandToAllTrafficWhenTheyWereMade() {
        Instant ended = START.plusSeconds(300);
        CanaryRamp aborted = ended(CanaryStatus.ABORTED, 1, ended, List.of(analysis(0, 100, 1, StepAnalysis.PASS),
                analysis(1, 500, 2, StepAnalysis.EXTEND)));
        CanaryRamp promoted = ended(CanaryStatus.PROMOTED, 0, ended, List.of(analysis(0, 100, 1, StepAnalysis.EXTEND)));

        assertThat(DeploymentsView.timeline(aborted)).containsExactly(new DeploymentsView.Point(START, 100),
                new DeploymentsView.Point(START.plusSeconds(60), 500), new DeploymentsView.Point(START.plusSeconds(120), 500),
                new DeploymentsView.Point(ended, 0));
        assertThat(DeploymentsView.timeline(promoted)).containsExactly(new DeploymentsView.Point(START, 100),
                new DeploymentsView.Point(START.plusSeconds(60), 100), new DeploymentsView.Point(ended, 10_000));
    }

    /** A ramp ended by hand, as the canary service writes it: the moment it ended is its judge time. */
    private static CanaryRamp ended(CanaryStatus status, int step, Instant at, List<StepAnalysis> analyses) {
        return new CanaryRamp(2, 1, List.of(100, 500, 2_500, 10_000), 60, CanaryPolicy.DEFAULT, status, step, START, at,
                0, "operator", START, status.wireName(), status.wireName() + " by operator", analyses);
    }

    @Test
    void theRampChartsTextAlternativeSaysFromWhenEachWeightHeldToTheSecondInUtc() {
        Instant judged = Instant.parse("2026-12-05T22:11:38.106189553Z");

        assertThat(DeploymentsView.rampDescription(List.of(new DeploymentsView.Point(START, 2_000),
                new DeploymentsView.Point(judged, 0))))
                .isEqualTo("Canary weight over time: 20.00\u00a0% from 2026-12-03 04:00:00 UTC, 0.00\u00a0% from 2026-12-05 22:11:38"
                        + " UTC. The same steps are in the table below.");
    }

    @Test
    void aShadowIsNoShareOfLiveTrafficButTheShareOfPredictionsItMirrors() {
        ModelName model = new ModelName("readmission");
        Deployment experimentAndShadow = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 5_000),
                new TrafficSlot(Slot.CANARY, 4, 5_000), new TrafficSlot(Slot.SHADOW, 2, 5_000)), 18, "operator", START,
                "etag");

        String traffic = "stable v1 50.00\u00a0%, canary v4 50.00\u00a0%; shadow v2 mirrors 50.00\u00a0% of predictions";
        assertThat(ModelsView.traffic(experimentAndShadow)).isEqualTo(traffic);
        String slots = DeploymentsView.slots(model, experimentAndShadow);
        assertThat(slots).contains("Live traffic of readmission: " + traffic)
                .contains(">50.00\u00a0% of predictions mirrored</td>");
        // The bar is live traffic: stable and canary fill it once; a third bar would run past its end.
        assertThat(slots.split("class=\"bar slot\"", -1)).hasSize(3);
        Deployment stoppedShadow = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 10_000),
                new TrafficSlot(Slot.SHADOW, 2, 0)), 19, "operator", START, "etag");
        assertThat(ModelsView.traffic(stoppedShadow)).isEqualTo("stable v1 100.00\u00a0%");
        assertThat(DeploymentsView.slots(model, stoppedShadow)).contains(">stopped</td>").doesNotContain(">0.00\u00a0%");
    }

    @Test
    void aRunningExperimentIsShownWithItsArmsAndTheRampFromBeforeItIsOnlyNamed() {
        ModelName model = new ModelName("readmission");
        CanaryRamp promoted = ended(CanaryStatus.PROMOTED, 3, START.plusSeconds(300), List.of());
        Experiment experiment = new Experiment("readmission-12", 2, 3, 2_000, ExperimentMetric.FLAG_RATE, 0.2, 0.05,
                null, 0.05, 0.8, 4_000, 1_000, Experiment.RUNNING, "ops-lead", START.plusSeconds(600), null, null);
        Deployment running = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 2, 8_000),
                new TrafficSlot(Slot.CANARY, 3, 2_000)), 12, "ops-lead", START.plusSeconds(600), "etag", promoted,
                experiment, "experiment.started");

        String shown = DeploymentsView.traffic(model, running);

        assertThat(ModelsView.traffic(running))
                .isEqualTo("stable v2 80.00\u00a0%, canary v3 20.00\u00a0% (treatment of experiment readmission-12)");
        assertThat(shown).contains("Live traffic of readmission: " + ModelsView.traffic(running))
                .contains("A/B experiment readmission-12: version 3 against version 2")
                .contains("<th scope=\"row\" role=\"rowheader\" data-label=\"Arm\">control</th>"
                        + "<td role=\"cell\" data-label=\"Version\"><a href=\"" + VersionView.href(model, 2)
                        + "\">version 2</a></td>"
                        + "<td role=\"cell\" data-label=\"Share of live traffic\" class=\"num\">80.00\u00a0%</td>"
                        + "<td role=\"cell\" data-label=\"Planned sample\" class=\"num\">4000</td>")
                .contains("<th scope=\"row\" role=\"rowheader\" data-label=\"Arm\">treatment (canary slot)</th>"
                        + "<td role=\"cell\" data-label=\"Version\"><a href=\"" + VersionView.href(model, 3)
                        + "\">version 3</a></td>"
                        + "<td role=\"cell\" data-label=\"Share of live traffic\" class=\"num\">20.00\u00a0%</td>"
                        + "<td role=\"cell\" data-label=\"Planned sample\" class=\"num\">1000</td>")
                .contains("<dt>Primary metric</dt><dd>flag_rate</dd>")
                .contains("<code>vigil experiment status readmission</code>")
                .contains("The last canary, of version 2, ended promoted before it");
        // The promoted ramp at 100 % is not what routes patients while the treatment holds the canary slot.
        assertThat(shown).doesNotContain("id=\"canary-readmission\"").doesNotContain("id=\"ramp-readmission\"");

        Deployment afterStop = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 2, 10_000)), 13, "ops-lead",
                START.plusSeconds(900), "etag", promoted, experiment.stopped("ops-lead", START.plusSeconds(900)),
                "experiment.stopped");
        assertThat(DeploymentsView.traffic(model, afterStop)).doesNotContain("A/B experiment")
                .contains("id=\"canary-readmission\"");
    }

    @Test
    void weightsAndPValuesReadAsPeopleWriteThem() {
        assertThat(Pages.weight(100)).isEqualTo("1.00\u00a0%");
        assertThat(Pages.weight(1)).isEqualTo("0.01\u00a0%");
        assertThat(Pages.weight(9_900)).isEqualTo("99.00\u00a0%");
        assertThat(DeploymentsView.pValue(0.04321)).isEqualTo("0.0432");
        assertThat(DeploymentsView.pValue(0.00001)).isEqualTo("&lt; 0.0001");
    }

    @Test
    void aStepsStoredReasonShowsItsPValuesAndMomentsAsThePageShowsThemAndKeepsItsWords() {
        ModelName model = new ModelName("readmission");
        String failed = "step 2 (5.00 %) failed on flag_rate (canary 0.4123, stable 0.3012, p = 1.63e-10 < 2.50e-05),"
                + " mean_score (canary 0.3300, stable 0.3100, p = 0.0123 < 0.0250) (in this step 40 canary and 800"
                + " stable rows counted by the request statistics (answered, refused and failed, in whole minutes from"
                + " 2026-12-03T04:01:00Z) and 38 canary and 790 stable predictions logged since the step started)";
        StepAnalysis fail = new StepAnalysis(1, 500, START.plusSeconds(60), START.plusSeconds(120), 38, 790,
                StepAnalysis.FAIL, failed, List.of());
        CanaryRamp rolledBack = new CanaryRamp(2, 1, List.of(100, 500, 2_500, 10_000), 60, CanaryPolicy.DEFAULT,
                CanaryStatus.ROLLED_BACK, 1, START.plusSeconds(60), START.plusSeconds(120), 0, "operator", START,
                "rolled_back", failed, List.of(fail));
        Deployment deployment = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 10_000)), 5,
                "canary-controller", START.plusSeconds(120), "etag", rolledBack);

        String page = DeploymentsView.traffic(model, deployment);

        assertThat(page).doesNotContain("1.63e-10").doesNotContain("2.50e-05")
                .doesNotContain("from 2026-12-03T04:01:00Z")
                .contains("flag_rate (canary 0.4123, stable 0.3012, p &lt; 0.0001 &lt; 0.0000250)")
                .contains("mean_score (canary 0.3300, stable 0.3100, p = 0.0123 &lt; 0.0250)")
                .contains("in whole minutes from <time datetime=\"2026-12-03T04:01:00Z\">2026-12-03 04:01:00 UTC"
                        + "</time>)");
        // Once in the ramp's last change and once in the step's row.
        assertThat(page.split("p &lt; 0\\.0001", -1)).hasSize(3);
        // What is stored, and what the API answers, stays as the analysis wrote it.
        assertThat(rolledBack.reason()).contains("p = 1.63e-10 < 2.50e-05");
    }
}
