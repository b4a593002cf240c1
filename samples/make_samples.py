"""Make samples/paragraph.png, a screenshot-like paragraph, and its expected text.

The text is written for this sample (not taken from any benchmark source) and
rendered in WenQuanYi Zen Hei, a face held out of training, with Latin words in
Liberation Sans.  Run: python samples/make_samples.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
TEXT = [
    "pageocr 是一个离线的中文识别工具。它先用 OpenCV 把图像二值化，",
    "再按行和字切分，然后用卷积网络识别每个字，最后输出整段文字。",
    "模型随软件包一起发布，不需要下载，也不需要显卡；在普通的双核",
    "处理器上，读一页文字只要不到一秒。欢迎试用，并告诉我们结果！",
]
CJK = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0)
LATIN = ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", 0)
SIZE = 22


def is_ascii(ch: str) -> bool:
    return ord(ch) < 128


def main() -> None:
    cjk = ImageFont.truetype(CJK[0], SIZE, index=CJK[1])
    latin = ImageFont.truetype(LATIN[0], SIZE, index=LATIN[1])
    width = 40 + max(
        int(sum((latin if is_ascii(c) else cjk).getlength(c) for c in line)) for line in TEXT
    )
    img = Image.new("L", (width, 30 + len(TEXT) * int(SIZE * 1.7)), 255)
    draw = ImageDraw.Draw(img)
    y = 20 + SIZE
    for line in TEXT:
        x = 20.0
        for ch in line:
            font = latin if is_ascii(ch) else cjk
            draw.text((x, y), ch, font=font, fill=30, anchor="ls")
            x += font.getlength(ch)
        y += int(SIZE * 1.7)
    img.save(HERE / "paragraph.png")
    (HERE / "paragraph.txt").write_text("\n".join(TEXT) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
