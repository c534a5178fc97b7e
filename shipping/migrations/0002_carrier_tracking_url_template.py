from django.db import migrations, models

import shipping.validators

# The public tracking pages of the carriers the network started with, by SCAC. A carrier
# added later gets its page from the operators' carrier form.
TRACKING_PAGES = {
    "MAEU": "https://www.maersk.com/tracking/{number}",
    "CMDU": "https://www.cma-cgm.com/ebusiness/tracking/search?Reference={number}",
    "COSU": "https://elines.coscoshipping.com/ebusiness/cargoTracking?number={number}",
    "ONEY": "https://ecomm.one-line.com/one-ecom/manage-shipment/cargo-tracking?trakNoParam={number}",
}


def fill_tracking_pages(apps, schema_editor):
    Carrier = apps.get_model("shipping", "Carrier")
    for scac, template in TRACKING_PAGES.items():
        Carrier.objects.filter(scac=scac, tracking_url_template="").update(
            tracking_url_template=template
        )


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="carrier",
            name="tracking_url_template",
            field=models.CharField(
                blank=True,
                help_text="The address of the carrier's tracking page with {number} where the "
                "tracking number goes; tracking numbers of this carrier link to it.",
                max_length=300,
                validators=[shipping.validators.validate_tracking_url_template],
                verbose_name="tracking page",
            ),
        ),
        migrations.RunPython(fill_tracking_pages, migrations.RunPython.noop),
    ]
