"""Memory while a 40-megapixel photo is cleaned: the web worker's and the cleaning child's.

    PYTHONPATH=src .venv/bin/python bench/file_cleaning.py [--skip-server] [--skip-bisect]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Goal: a web worker stays under 300 MB while a 40 MP photo is cleaned, and the
cleaning child stays within its address-space limit (OMBUD_CLEANER_MEMORY_MIB,
768 MiB by default).

1. A real ``ombud serve`` in a fresh data folder (and database). The reporter's form is sent with
   a 40 MP photo, then with an 81 MP PNG bomb (refused) and the photo again.
   Each web worker's peak resident memory (VmHWM) is read from /proc before and
   after; while the form is sent, the cleaning children are sampled every 5 ms.
2. Each kind of 40 MP picture cleaned by ``accept`` in a fresh process: the
   child's peak resident memory (``getrusage(RUSAGE_CHILDREN)``, exact) and the
   smallest address-space limit with which it still succeeds (bisection to 8 MiB).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import OMBUD, bench_database, bench_env, ombud_served  # noqa: E402
from PIL import ExifTags, Image, ImageCms  # noqa: E402
from tests.intake.helpers import report_fields  # noqa: E402
from tests.live import LiveClient  # noqa: E402

CLEANER = str(ROOT / "src" / "ombud" / "intake" / "attachments.py").encode()
WIDTH, HEIGHT = 8000, 5000
PHOTO = "40 MP photo (JPEG, EXIF with GPS)"
MEASURE = """
import json, resource, sys, time
from ombud.intake.attachments import Limits, accept
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
limits = Limits(memory=int(sys.argv[2]) * 2**20)
accepted = accept(data, "f", max_bytes=10 * 1024 * 1024, limits=limits)
print(json.dumps({"seconds": time.perf_counter() - started, "copy": len(accepted.stripped),
                  "child_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def texture(base: int) -> Image.Image:
    """A 40 MP picture with detail at every scale, like a photo: noise, smoothly enlarged
    (the smaller `base`, the smoother, and the smaller the JPEG)."""
    small = Image.frombytes(
        "RGB", (base, base * 5 // 8), secrets.token_bytes(base * base * 15 // 8)
    )
    return small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)


def drawing() -> Image.Image:
    """A 40 MP picture with transparency made of gradients: what a PNG under 10 MB can hold."""
    across = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    down = across.transpose(Image.Transpose.ROTATE_90).resize((WIDTH, HEIGHT))
    return Image.merge("RGBA", (across, down, across.point(lambda v: 255 - v), down))


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Fjordcam"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 54.0, 36.0)
    return exif


def pictures() -> dict[str, bytes]:
    """What a reporter may send at 40 MP and under 10 MB, the hardest to decode included."""
    made: dict[str, bytes] = {}
    out = io.BytesIO()
    texture(500).save(out, "JPEG", quality=90, exif=camera_exif())
    made[PHOTO] = out.getvalue()
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    texture(300).save(
        out,
        "JPEG",
        quality=85,
        progressive=True,
        subsampling=0,
        icc_profile=srgb,
        exif=camera_exif(orientation=6),
    )
    made["40 MP JPEG, progressive 4:4:4, colour profile, turned"] = out.getvalue()
    out = io.BytesIO()
    drawing().save(out, "PNG", exif=camera_exif(orientation=6))
    made["40 MP PNG with transparency, turned"] = out.getvalue()
    made["40 MP photo inside a one-page PDF"] = pdf_with(made[PHOTO])
    return made


def pdf_with(photo: bytes) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(842, 595))
    image = pdf.make_stream(
        photo,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=WIDTH,
        Height=HEIGHT,
        ColorSpace=pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=pikepdf.Name.DCTDecode,
    )
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Photo=image))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q 842 0 0 526 0 34 cm /Photo Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", body), chunk(b"IEND", b""))
    )


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes(marker: bytes, *needles: bytes) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker not in environ.read_bytes().split(b"\0"):
                continue
            cmdline = (environ.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if any(needle in cmdline for needle in needles):
            found.append(int(environ.parent.name))
    return found


class ChildSampler(threading.Thread):
    """Samples the cleaning children (started with an empty environment, so found by
    their command line) while they run: their peak resident and virtual sizes."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.seen: set[int] = set()
        self.hwm_kb = 0
        self.peak_kb = 0

    def run(self) -> None:
        while not self.stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    if CLEANER not in cmdline.read_bytes():
                        continue
                except OSError:
                    continue
                pid = int(cmdline.parent.name)
                self.seen.add(pid)
                self.hwm_kb = max(self.hwm_kb, status_kb(pid, "VmHWM"))
                self.peak_kb = max(self.peak_kb, status_kb(pid, "VmPeak"))
            time.sleep(0.005)


def server_part(made: dict[str, bytes], database_url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-"))
    env = bench_env(folder)
    with bench_database(database_url, env):
        # The demo organisation and its recovery key: without a recovery key the
        # reporting pages do not take reports.
        setup = (
            "from pathlib import Path; from bench.generate import prepare;"
            f" prepare(Path({str(folder)!r}))"
        )
        subprocess.run([OMBUD, "manage", "shell", "-c", setup], env=env, check=True)
        with ombud_served(env, ready="report/new/") as url:
            served_part(made, url, f"OMBUD_DATA_DIR={folder}".encode())


def served_part(made: dict[str, bytes], url: str, marker: bytes) -> None:
    workers = [
        pid
        for pid in processes(marker, b"gunicorn")
        if b"--bind" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    # gunicorn's master has the same command line: its workers are its children.
    masters = set(workers)
    workers = [pid for pid in workers if status_ppid(pid) in masters]
    for _ in range(4):  # the workers have served pages before we look
        LiveClient(url).get("/report/new/")
    before = {pid: status_kb(pid, "VmHWM") for pid in workers}
    photo = made[PHOTO]
    fields = report_fields(**{"accused-0-employee_id": ""})
    print("| step | seconds | status | workers' peak before → after (MB) | child RSS / VM (MB) |")
    print("|---|---:|---:|---|---|")
    steps = [
        ("one 40 MP photo", [("files", "IMG_0001.jpg", photo, "image/jpeg")]),
        (
            "an 81 MP PNG bomb and the photo again",
            [
                ("files", "bomb.png", png_bomb(9000, 9000), "image/png"),
                ("files", "IMG_0002.jpg", photo, "image/jpeg"),
            ],
        ),
    ]
    for label, files in steps:
        sampler = ChildSampler()
        sampler.start()
        client = LiveClient(url, source_address=f"127.9.9.{secrets.randbelow(200) + 2}")
        started = time.perf_counter()
        reply = client.post_form("/report/new/", {**fields, "action": "add_prior"}, files)
        took = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        after = {pid: status_kb(pid, "VmHWM") for pid in workers}
        peaks = ", ".join(f"{before[pid] / 1024:.0f} → {after[pid] / 1024:.0f}" for pid in workers)
        print(
            f"| {label} | {took:.1f} | {reply.status} | {peaks} | "
            f"{sampler.hwm_kb / 1024:.0f} / {sampler.peak_kb / 1024:.0f} |"
        )
        before = after


def status_ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def measure(path: Path, memory_mib: int) -> dict[str, float] | None:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(memory_mib)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    if result.returncode != 0:
        return None  # refused: not enough memory
    answer: dict[str, float] = json.loads(result.stdout)
    return answer


def child_part(made: dict[str, bytes], bisect: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ombud-bench-files-"))
    print("| picture | file MB | copy MB | seconds | child peak RSS (MB) | least RLIMIT_AS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, data in made.items():
        path = folder / "picture"
        path.write_bytes(data)
        full = measure(path, 768)
        if full is None:
            print(f"| {label} | {len(data) / 2**20:.1f} | refused at 768 MiB | | | |")
            continue
        least = "not measured"
        if bisect:
            low, high = 64, 768
            while high - low > 8:
                middle = (low + high) // 2
                if measure(path, middle) is None:
                    low = middle
                else:
                    high = middle
            least = str(high)
        print(
            f"| {label} | {len(data) / 2**20:.1f} | {full['copy'] / 2**20:.1f} | "
            f"{full['seconds']:.1f} | {full['child_rss_kb'] / 1024:.0f} | {least} |"
        )
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-bisect", action="store_true")
    parser.add_argument("--database-url", help="PostgreSQL for the server (default SQLite)")
    args = parser.parse_args()
    made = pictures()
    if not args.skip_server:
        server_part(made, args.database_url)
        print()
    child_part(made, bisect=not args.skip_bisect)


if __name__ == "__main__":
    main()
