package health.vigil.host;

import health.vigil.error.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Lists the classes of some packages (and their subpackages) on a class loader, from class-path directories
 * and jars. Hand-written because no scanning library resolves here; it relies on
 * {@link ClassLoader#getResources(String)} finding the package folder, which holds for directories and for
 * jars with directory entries (every jar Maven and the jar tool build).
 */
final class ClasspathScanner {
    private static final Pattern PACKAGE = Pattern.compile("^[a-zA-Z_][a-zA-Z0-9_]*(\\.[a-zA-Z_][a-zA-Z0-9_]*)*$");

    private ClasspathScanner() {}

    /** Binary names of the classes found, sorted so that discovery is deterministic. */
    static SortedSet<String> classNames(ClassLoader loader, List<String> packages) {
        SortedSet<String> names = new TreeSet<>();
        for (String pkg : packages) {
            if (pkg == null || !PACKAGE.matcher(pkg).matches()) {
                throw new ValidationException("the package to scan \"" + pkg + "\" is not a Java package name");
            }
            String folder = pkg.replace('.', '/');
            try {
                Enumeration<URL> urls = loader.getResources(folder);
                while (urls.hasMoreElements()) {
                    URL url = urls.nextElement();
                    switch (url.getProtocol()) {
                        case "file" -> scanDirectory(Path.of(url.toURI()), pkg, names);
                        case "jar" -> scanJar(url, folder, names);
                        default -> throw new ValidationException("cannot scan " + url.getProtocol()
                                + ": class-path entries; put the function classes in a directory or a jar");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot scan the class path for package " + pkg, e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException("the class loader returned a malformed URL for package " + pkg, e);
            }
        }
        return names;
    }

    private static void scanDirectory(Path root, String pkg, SortedSet<String> names) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile).forEach(file -> {
                String relative = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                add(pkg.replace('.', '/') + "/" + relative, names);
            });
        }
    }

    private static void scanJar(URL url, String folder, SortedSet<String> names) throws IOException {
        URLConnection connection = url.openConnection();
        if (!(connection instanceof JarURLConnection jarConnection)) {
            throw new IllegalStateException("the jar URL for " + folder + " did not open as a jar");
        }
        // A fresh JarFile we can close, instead of the JVM-wide cached one.
        jarConnection.setUseCaches(false);
        try (JarFile jar = jarConnection.getJarFile()) {
            String prefix = folder + "/";
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (!entry.isDirectory() && entry.getName().startsWith(prefix)) {
                    add(entry.getName(), names);
                }
            }
        }
    }

    private static void add(String resource, SortedSet<String> names) {
        if (!resource.endsWith(".class") || resource.endsWith("module-info.class") || resource.endsWith("package-info.class")) {
            return;
        }
        names.add(resource.substring(0, resource.length() - ".class".length()).replace('/', '.'));
    }
}
