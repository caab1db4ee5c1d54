<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/** Replaces the server's outputs folder with a file, so that storing a render fails. */
final class BrokenOutputs
{
    private string $outputs;
    private string $aside;

    public function __construct(ServerProcess $server)
    {
        $this->outputs = $server->outputsDir();
        $this->aside = $this->outputs . '.aside';
        if (!is_dir($this->outputs)) {
            mkdir($this->outputs, 0755, true);
        }
        rename($this->outputs, $this->aside);
        file_put_contents($this->outputs, 'not a folder');
    }

    public function restore(): void
    {
        if (file_exists($this->aside)) {
            unlink($this->outputs);
            rename($this->aside, $this->outputs);
        }
    }
}
