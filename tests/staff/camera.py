"""A synthetic camera for the door page's browser test: a QR code drawn into a Y4M video, which
Chromium plays as its webcam (--use-file-for-fake-video-capture)."""

from pathlib import Path

import segno

WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path, *, frames: int = 10) -> Path:
    """A short 4:2:0 Y4M clip of ``text`` as a QR code, black on white, centred."""
    matrix = [list(row) for row in segno.make(text, error="m").matrix_iter(border=4)]
    scale = min(WIDTH, HEIGHT) * 9 // 10 // len(matrix)
    size = scale * len(matrix)
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # video white (235)
    for y in range(size):
        row = matrix[y // scale]
        offset = (top + y) * WIDTH + left
        for x in range(size):
            if row[x // scale]:
                luma[offset + x] = 16  # video black
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(frame)
    return path
