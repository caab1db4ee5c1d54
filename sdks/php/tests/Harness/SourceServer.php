<?php

declare(strict_types=1);

namespace ProdVisual\Tests\Harness;

/**
 * Source images over loopback, as a shop's CDN would serve them (helpers/source_router.php):
 *
 * - /packshots/<path>: the bench photos, read in place;
 * - /slow/<seconds>/<path>: the same, after a delay (to keep a request in flight);
 * - /too-large.jpg: an 11 MB body (over the 10 MB limit);
 * - /not-an-image.jpg: text labelled as a JPEG.
 */
final class SourceServer
{
    public readonly string $baseUrl;
    /** @var list<string> */
    public readonly array $photos;
    private PhpServer $server;
    private string $logDir;

    public static function packshots(): string
    {
        $bench = getenv('PRODVISUAL_BENCH_DIR') ?: dirname(ServerProcess::repoRoot()) . '/shared/bench';
        return "$bench/packshots";
    }

    public function __construct()
    {
        $root = self::packshots();
        if (!is_dir($root)) {
            throw new \RuntimeException("The bench photos are missing: expected them in $root");
        }
        $photos = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($root, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            if ($file->isFile() && str_ends_with($file->getFilename(), '.jpg') && $file->getSize() <= 150_000) {
                $photos[] = substr($file->getPathname(), strlen($root) + 1);
            }
        }
        if ($photos === []) {
            throw new \RuntimeException("No JPEG of at most 150 kB in $root");
        }
        sort($photos, SORT_STRING);
        $this->photos = $photos;
        $this->logDir = Processes::tempDir('pv-sdk-php-sources-');
        $this->server = new PhpServer(dirname(__DIR__) . '/helpers/source_router.php', ['PV_PACKSHOTS' => $root], "{$this->logDir}/php-server.log");
        $this->baseUrl = $this->server->baseUrl;
    }

    public function url(int $index = 0): string
    {
        return "{$this->baseUrl}/packshots/" . $this->photos[$index % count($this->photos)];
    }

    public function slowUrl(float $seconds, int $index = 0): string
    {
        return "{$this->baseUrl}/slow/$seconds/" . $this->photos[$index % count($this->photos)];
    }

    /**
     * A cheap generation: a small white-background JPEG.
     *
     * @param array<string, mixed> $extra
     * @return array<string, mixed>
     */
    public function item(int $index = 0, array $extra = []): array
    {
        return array_merge(
            ['image_url' => $this->url($index), 'style' => 'white_bg', 'dimensions' => '400x400', 'format' => 'jpeg'],
            $extra,
        );
    }

    public function stop(): void
    {
        $this->server->stop();
        Processes::removeTree($this->logDir);
    }
}
