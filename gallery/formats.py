"""Image formats beyond Pillow's own.

Pillow reads AVIF itself (its wheels carry libavif); HEIC/HEIF, the default
format of iPhone photos, comes from pillow-heif, registered here once. Every
module that opens untrusted images imports this one, so the formats are known
with or without Django (the model fetcher and the benchmarks run without it).
"""

from __future__ import annotations

from pillow_heif import register_heif_opener

# Pillow's plugin keeps the EXIF block as it is; pillow-heif applies the
# HEIF rotation itself and reports the orientation as 1, so that
# gallery.camera.upright_size holds for both.
# Embedded thumbnails, depth maps and auxiliary images are never shown:
# leaving them unread keeps the decode to the one picture.
register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
