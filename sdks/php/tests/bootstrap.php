<?php

declare(strict_types=1);

// PHPUnit's bootstrap: the package through its own autoloader (as without Composer), the test
// harness, and the servers the suite runs against, started once for all tests (see
// Harness/Suite.php and sdks/TEST_PLAN.md).

require __DIR__ . '/../src/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'ProdVisual\\Tests\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});

ProdVisual\Tests\Harness\Suite::start();
