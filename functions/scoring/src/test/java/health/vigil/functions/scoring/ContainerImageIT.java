package health.vigil.functions.scoring;

import health.vigil.functions.common.testing.ContainerImageContract;

/** The scoring app's image and package, checked against what `mvn package` staged for it. */
class ContainerImageIT extends ContainerImageContract {}
