<?php

declare(strict_types=1);

/*
 * The package's autoloader for use without Composer:
 *
 *     require 'sdks/php/src/autoload.php';
 *
 * It maps ProdVisual\Foo\Bar to src/Foo/Bar.php, as composer.json's PSR-4 entry does.
 */

spl_autoload_register(static function (string $class): void {
    $prefix = 'ProdVisual\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
