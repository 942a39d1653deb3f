package health.vigil.training.synthetic;

import health.vigil.training.data.Dataset;

/**
 * A generated dataset with the probability of the positive class that the generator drew each label from,
 * so a test can compare a trained model with the best any model could do on the same rows.
 */
public record SyntheticData(Dataset dataset, double[] trueProbability) {
    public SyntheticData {
        trueProbability = trueProbability.clone();
        if (trueProbability.length != dataset.size()) {
            throw new IllegalArgumentException("one true probability per row is needed");
        }
    }

    @Override
    public double[] trueProbability() {
        return trueProbability.clone();
    }
}
