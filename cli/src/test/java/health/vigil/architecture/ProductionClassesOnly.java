package health.vigil.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;

/**
 * Imports production classes only: in a reactor build other modules' tests arrive as {@code -tests.jar}
 * files, which ArchUnit's own test filter does not recognise.
 */
final class ProductionClassesOnly implements ImportOption {
    @Override
    public boolean includes(Location location) {
        return !location.contains("/test-classes/") && !location.matches(java.util.regex.Pattern.compile(".*-tests\\.jar.*"));
    }
}
