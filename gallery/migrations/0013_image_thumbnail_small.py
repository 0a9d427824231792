import gallery.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0012_pending_deletion"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="thumbnail_small",
            field=models.FileField(
                blank=True,
                max_length=255,
                upload_to=gallery.models.thumbnail_small_key,
            ),
        ),
    ]
