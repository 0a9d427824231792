"""What a person sees of analysis, from the upload to the image's page."""

from __future__ import annotations

import pytest

from bench import synthetic
from gallery.models import AnalysisStatus, Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def azure(settings, fake_azure):
    settings.GALLERY_ANALYZER = "auto"
    settings.AZURE_CV_KEY = fake_azure.key
    settings.AZURE_CV_ENDPOINT = fake_azure.endpoint
    settings.AZURE_CV_TIMEOUT = 2
    settings.AZURE_CV_MAX_RETRIES = 0
    return fake_azure


def upload_one(client, make_upload, name="photo.jpg"):
    data = synthetic.jpeg_bytes(synthetic.photo_like(42))
    response = client.post(
        "/images/upload/", {"images": [make_upload(name, data=data)]}
    )
    assert "Stored:" in response.content.decode()
    return Image.objects.get(original_filename=name)


def test_with_azure_keys_the_pages_show_azures_analysis(
    azure, alice_client, make_upload
):
    image = upload_one(alice_client, make_upload)
    assert image.analyzer == "azure"
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "A close up of a colorful background" in page
    assert 'alt="A close up of a colorful background"' in page
    assert 'href="/images/?tag=colorful"' in page
    assert "by azure" in page
    gallery = alice_client.get("/images/").content.decode()
    assert "A close up of a colorful background" in gallery
    assert len(azure.requests) == 1


def test_wrong_azure_keys_keep_the_image_and_say_why(
    azure, settings, alice_client, make_upload
):
    settings.AZURE_CV_KEY = "not-the-key"
    image = upload_one(alice_client, make_upload)
    assert image.analysis_status == AnalysisStatus.FAILED
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "Analysis failed:" in page
    assert "Re-analyse" in page
    # The right key later: analysing again from the page succeeds.
    settings.AZURE_CV_KEY = azure.key
    alice_client.post(f"/images/{image.id}/reanalyze/")
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.DONE


def test_an_unreachable_azure_keeps_the_image(
    azure, settings, alice_client, make_upload
):
    settings.AZURE_CV_ENDPOINT = "http://127.0.0.1:9"
    image = upload_one(alice_client, make_upload)
    assert image.analysis_status == AnalysisStatus.FAILED
    assert image.file.storage.exists(image.file.name)


def test_without_keys_the_offline_analyzer_describes_the_upload(
    settings, alice_client, make_upload
):
    settings.GALLERY_ANALYZER = "auto"
    settings.AZURE_CV_KEY = ""
    image = upload_one(alice_client, make_upload)
    assert image.analyzer == "local"
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.description.startswith("A ")
    assert image.dominant_colors
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert f'alt="{image.description}"' in page
    assert f'href="/images/?color={image.dominant_colors[0]}"' in page
    assert "by local" in page
