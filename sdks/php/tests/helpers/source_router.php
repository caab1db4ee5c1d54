<?php

declare(strict_types=1);

// The router of the source-image server (Harness/SourceServer.php), under `php -S`.

$root = realpath((string) getenv('PV_PACKSHOTS'));
$path = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);

function serveFile(string $root, string $relative): void
{
    $file = realpath($root . '/' . rawurldecode($relative));
    if ($file === false || !str_starts_with($file, $root . '/') || !is_file($file)) {
        http_response_code(404);
        return;
    }
    header('Content-Type: image/jpeg');
    header('Content-Length: ' . filesize($file));
    readfile($file);
}

if ($path === '/too-large.jpg') {
    $size = 11 * 1024 * 1024;
    header('Content-Type: image/jpeg');
    header('Content-Length: ' . $size);
    $chunk = "\xff\xd8\xff\xe0" . str_repeat("\0", 64 * 1024 - 4);
    for ($written = 0; $written < $size && !connection_aborted(); $written += strlen($chunk)) {
        echo $chunk;
        flush();
    }
} elseif ($path === '/not-an-image.jpg') {
    $body = str_repeat("This is a text file, not a photo.\n", 20);
    header('Content-Type: image/jpeg');
    header('Content-Length: ' . strlen($body));
    echo $body;
} elseif (preg_match('#^/slow/([0-9.]+)/(.+)$#', $path, $match)) {
    usleep((int) round((float) $match[1] * 1_000_000));
    serveFile($root, $match[2]);
} elseif (str_starts_with($path, '/packshots/')) {
    serveFile($root, substr($path, strlen('/packshots/')));
} else {
    http_response_code(404);
}
