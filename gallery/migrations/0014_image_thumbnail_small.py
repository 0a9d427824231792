import gallery.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0013_live_listing_indexes"),
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
