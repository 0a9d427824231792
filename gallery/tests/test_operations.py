"""Health check, admin and deployment settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django import forms
from django.core.files.storage import default_storage

from accounts.models import Profile
from gallery import services
from gallery.models import Image
from gallery.tests.analyzers import FIXED

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_storage(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


@pytest.fixture
def operator_client(client, django_user_model):
    operator = django_user_model.objects.create_superuser("olga", password="x")
    client.force_login(operator)
    return client


def test_the_admin_lists_images_with_owner_and_size(
    operator_client, alice, make_upload
):
    services.image_upload(
        owner=alice, file=make_upload("admin-view.jpg", size=(64, 48))
    )
    page = operator_client.get("/admin/gallery/image/?q=alice").content.decode()
    assert "admin-view.jpg" in page
    assert "64×48" in page


def test_deleting_in_the_admin_removes_the_object_too(
    operator_client, alice, make_upload, django_capture_on_commit_callbacks
):
    image = services.image_upload(owner=alice, file=make_upload())
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            "/admin/gallery/image/",
            {
                "action": "delete_selected",
                "_selected_action": [image.pk],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert not default_storage.exists(image.file.name)


def admin_change_data(response) -> dict:
    """The POST data of an admin change form as the page shows it, unchanged."""
    data: dict = {"_save": "Save"}
    for field in response.context["adminform"].form:
        if field.field.disabled:
            continue
        value = field.value()
        widget = field.field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def test_the_admin_shows_image_counts_and_sets_a_limit(
    operator_client, alice, make_upload
):
    services.image_upload(owner=alice, file=make_upload())
    page = operator_client.get("/admin/auth/user/").content.decode()
    assert "5 (default)" in page

    url = f"/admin/auth/user/{alice.pk}/change/"
    data = admin_change_data(operator_client.get(url))
    data["profile-0-upload_limit"] = "7"
    response = operator_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]

    assert Profile.objects.get(user=alice).upload_limit == 7
    rows = re.findall(r"<tr>(?:(?!</tr>).)*</tr>", list_page(operator_client), re.S)
    (row,) = [row for row in rows if ">alice</a>" in row]
    assert '<td class="field-image_count">1</td>' in row
    assert '<td class="field-upload_limit">7</td>' in row
    # The new limit holds: alice may now keep seven images.
    for _ in range(6):
        services.image_upload(owner=alice, file=make_upload())
    with pytest.raises(services.UploadLimitReached):
        services.image_upload(owner=alice, file=make_upload())


def list_page(client) -> str:
    return client.get("/admin/auth/user/").content.decode()


def run_check_deploy(**environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "IMG_REPO_SECRET_KEY")
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(databases=[])
def test_check_deploy_is_clean_with_production_settings():
    result = run_check_deploy(
        IMG_REPO_SECRET_KEY="x" * 20 + "production-secret-key-with-many-characters",
        ALLOWED_HOSTS="photos.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db(databases=[])
def test_without_a_secret_key_production_refuses_to_start():
    result = run_check_deploy(ALLOWED_HOSTS="photos.example.com")
    assert result.returncode != 0
    assert "IMG_REPO_SECRET_KEY is required" in result.stderr


@pytest.mark.django_db(databases=[])
def test_a_malformed_setting_names_the_variable():
    result = run_check_deploy(IMG_REPO_SECRET_KEY="k" * 60, GALLERY_UPLOAD_LIMIT="five")
    assert result.returncode != 0
    assert "GALLERY_UPLOAD_LIMIT must be a whole number" in result.stderr


def test_the_admin_filters_by_status_and_reanalyses(
    operator_client, alice, make_upload, settings
):
    image = services.image_upload(owner=alice, file=make_upload("again.jpg"))
    assert image.analysis_status == "skipped"
    page = operator_client.get("/admin/gallery/image/?analysis_status__exact=skipped")
    assert "again.jpg" in page.content.decode()
    settings.GALLERY_ANALYZER = FIXED
    operator_client.post(
        "/admin/gallery/image/",
        {"action": "reanalyze", "_selected_action": [image.pk]},
    )
    image.refresh_from_db()
    assert image.analysis_status == "done"
    assert (image.analyzer, image.analyzer_version) == ("fixed", "7.1")
    page = operator_client.get("/admin/gallery/image/?analyzer=fixed")
    assert "again.jpg" in page.content.decode()
    page = operator_client.get("/admin/gallery/image/?analyzer_version=7.1")
    assert "again.jpg" in page.content.decode()
    # One column names the analyzer and its version.
    assert ">fixed 7.1</td>" in page.content.decode()


def test_the_owner_reanalyses_from_the_image_page(
    alice_client, alice, make_upload, settings
):
    image = services.image_upload(owner=alice, file=make_upload())
    settings.GALLERY_ANALYZER = FIXED
    response = alice_client.post(f"/images/{image.id}/reanalyze/")
    assert response.status_code == 302
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "A photo from the worker" in page
    assert 'href="/images/?tag=worker"' in page
    assert 'href="/images/?color=red"' in page


def test_the_admin_shows_one_image_with_its_analysis(
    operator_client, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload("one.jpg"))
    page = operator_client.get(f"/admin/gallery/image/{image.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "one.jpg" in content
    assert "Analysis status" in content


@pytest.mark.django_db(databases=[])
def test_the_services_do_not_import_the_task_module():
    # The task module imports the services; the analysis task is queued by
    # name so that the services never import it back.
    code = (
        "import sys, django; django.setup(); import gallery.services; "
        "sys.exit('gallery.tasks' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "image_repo_project.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_admin_list_shows_thumbnails_and_each_status_once(
    operator_client, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload("thumb.jpg"))
    page = operator_client.get("/admin/gallery/image/").content.decode()
    thumbnail_token = image.thumbnail.url.split("/")[2]
    assert f'<img src="/media/{thumbnail_token}/"' in page
    assert image.thumbnail.name not in page  # no storage keys printed
    assert 'style="' not in page.split('id="result_list"')[1].split("</table>")[0]
    filters = page.split('id="changelist-filter"')[1]
    for label in ("Waiting", "Analysing now", "Analysed", "Failed", "Not analysed"):
        assert filters.count(f">{label}</a>") == 1, label
