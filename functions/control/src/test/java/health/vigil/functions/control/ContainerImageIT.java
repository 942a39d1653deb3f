package health.vigil.functions.control;

import health.vigil.functions.common.testing.ContainerImageContract;

/** The control app's image and package, checked against what `mvn package` staged for it. */
class ContainerImageIT extends ContainerImageContract {}
